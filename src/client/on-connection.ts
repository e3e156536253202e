import { Kysely, type PostgresPoolClient, PostgresDialect } from 'kysely';
import type { DB } from '../generated/db.js';
import { toClientError } from './error-mapping.js';

/** Anything with pg's `query(text, values)`: a pg.Client, a pg.PoolClient checked out of a pool. */
export type QueryableConnection = Pick<PostgresPoolClient, 'query'>;

/**
 * The typed client bound to one connection the caller already holds (a pg.Client, or a client
 * checked out of its own pool): every query of the returned Kysely, and so every client function
 * given it, runs on that connection, inside whatever transaction the caller opened on it. Errors
 * come back typed as with createDb. The connection stays the caller's: `destroy()` does not close it.
 * For work that must share a transaction with the service's own queries, and for tests.
 */
export function kyselyOnConnection(connection: QueryableConnection): Kysely<DB> {
  const client: PostgresPoolClient = {
    query: ((sql: string, parameters: ReadonlyArray<unknown>) =>
      connection.query(sql, parameters).catch((error: unknown) => {
        throw toClientError(error);
      })) as PostgresPoolClient['query'],
    release: () => undefined,
  };
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: { connect: async () => client, end: async () => undefined } }) });
}

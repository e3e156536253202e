import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import type { ConnectionConfig } from '../config/connection.js';
import { connectionError } from '../database/connect.js';
import type { SessionPool } from '../database/session-pool.js';
import { isVoipdbError } from '../errors.js';
import { toClientError } from './error-mapping.js';
import { forgetPrepared, isStalePreparedPlan, preparedName } from './prepared.js';

/**
 * The pool Kysely's PostgresDialect talks to: a pg.Pool whose clients map every failing query
 * (including BEGIN/COMMIT) to the typed errors, so the mapping holds for any query built on
 * createDb's Kysely. A Kysely plugin cannot do this: plugins only see successful results.
 */
export function errorMappingPool(pool: SessionPool, config: ConnectionConfig): PostgresPool {
  // Why each pg client's session ended, when the server said so (FATAL before closing).
  const lostBecauseOf = new WeakMap<pg.PoolClient, unknown>();
  // Kysely keys its connection objects by client identity: hand out one wrapper per client.
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();

  pool.on('connect', (client: pg.PoolClient) => {
    // A checked-out client (in a transaction, between two statements) whose session dies emits
    // 'error' outside any query; pg's pool listens only while the client is idle, and an
    // unheard 'error' event would end the process. Record it instead: the next query fails
    // with "not queryable" and is mapped using this reason.
    client.on('error', (error) => {
      if (!lostBecauseOf.has(client)) lostBecauseOf.set(client, error);
    });
  });

  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        // Host selection already turned it into a typed error (no host fits, TLS, auth...).
        throw isVoipdbError(error) ? error : connectionError(error, config);
      }
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrapClient(client, () => lostBecauseOf.get(client));
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

function wrapClient(client: pg.PoolClient, lostReason: () => unknown): PostgresPoolClient {
  function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') {
      // Streaming needs a cursor class in the dialect config, which createDb does not set.
      return client.query(sqlOrCursor as never) as unknown as PostgresCursor<R>;
    }
    const text = sqlOrCursor;
    const values = [...(parameters ?? [])];
    const name = preparedName(text);
    const run = (prepared: string | undefined): Promise<pg.QueryResult> =>
      prepared ? client.query({ name: prepared, text, values }) : client.query(text, values);
    const mapError = (error: unknown): never => {
      throw toClientError(error, lostReason());
    };
    // One promise hop on success: this wraps every query of the hot paths.
    return run(name).then(
      (result) => result as unknown as PostgresQueryResult<R>,
      (error: unknown) => {
        if (name && isStalePreparedPlan(error)) {
          forgetPrepared(text);
          return run(undefined).then((result) => result as unknown as PostgresQueryResult<R>, mapError);
        }
        return mapError(error);
      },
    );
  }
  return {
    query,
    release: (destroy?: boolean) => {
      client.release(destroy);
    },
  };
}

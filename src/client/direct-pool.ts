import type { Kysely, PostgresPool } from 'kysely';
import { copyFrom, type SubmittableQueryable } from '../database/copy-from.js';
import type { DB } from '../generated/db.js';
import { toClientError } from './error-mapping.js';

/**
 * The pool under each Kysely that createDb made, for the one hot path that skips Kysely's
 * executor (the directory lookup, sent on every REGISTER and INVITE challenge): Kysely's
 * connection provider, runtime driver and result transformation cost about a tenth of the
 * lookup's time in the client, for a query that needs none of them. The pool is the same error
 * mapping pool Kysely talks to, so prepared statements and typed errors are the same. A Kysely
 * with a query log is not registered (the log must see every query), nor is a transaction or
 * kyselyOnConnection's: those go through Kysely.
 */
const pools = new WeakMap<Kysely<DB>, PostgresPool>();

export function registerDirectPool(db: Kysely<DB>, pool: PostgresPool): void {
  pools.set(db, pool);
}

/** Runs one statement on a pooled connection of `db`, or returns undefined if `db` has no registered pool. */
export async function queryDirect<R>(db: Kysely<DB>, sqlText: string, parameters: readonly unknown[]): Promise<R[] | undefined> {
  const pool = pools.get(db);
  if (!pool) return undefined;
  const connection = await pool.connect();
  try {
    return (await connection.query<R>(sqlText, parameters)).rows;
  } finally {
    connection.release();
  }
}

export function hasDirectPool(db: Kysely<DB>): boolean {
  return pools.has(db);
}

/**
 * Runs `statement` (COPY ... FROM STDIN) with `data` on a pooled connection of `db`; resolves to
 * the rows copied, or to undefined if `db` has no registered pool. Server errors come back typed
 * as those of every other query.
 */
export async function copyDirect(db: Kysely<DB>, statement: string, data: string): Promise<number | undefined> {
  const pool = pools.get(db);
  if (!pool) return undefined;
  const connection = await pool.connect();
  try {
    // The pool's connections hand a non-text query (here the COPY's submittable) to pg as it is.
    return await copyFrom(connection as unknown as SubmittableQueryable, statement, data);
  } catch (error) {
    throw toClientError(error);
  } finally {
    connection.release();
  }
}

import type pg from 'pg';
import { StandbyRefusedError } from '../errors.js';

/**
 * The library's own guard for writes (seeds, partition maintenance): the CLI refuses earlier
 * through readNodeRole, but a service calling the library directly must be refused too.
 */
export async function refuseOnStandby(client: pg.ClientBase, action: string): Promise<void> {
  const { rows } = await client.query<{ in_recovery: boolean; database: string }>(
    'SELECT pg_is_in_recovery() AS in_recovery, current_database() AS database',
  );
  if (rows[0]?.in_recovery) throw new StandbyRefusedError(action, `database ${rows[0].database}`);
}

/** Runs `fn` in one transaction on `client`; rolls back on any error. */
export async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

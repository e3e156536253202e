import type pg from 'pg';

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

/**
 * Runs `fn` inside the caller's open transaction as a savepoint: on an error, what `fn` did is
 * undone and the savepoint released, so the transaction can go on (or the caller retry); the
 * caller's own work stays. `name` tells a reader of pg_stat_activity or the log whose it was.
 */
export async function inSavepoint<T>(client: pg.ClientBase, name: string, fn: () => Promise<T>): Promise<T> {
  const savepoint = client.escapeIdentifier(name);
  await client.query(`SAVEPOINT ${savepoint}`);
  try {
    const result = await fn();
    await client.query(`RELEASE SAVEPOINT ${savepoint}`);
    return result;
  } catch (error) {
    await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}`).catch(() => undefined);
    throw error;
  }
}

/**
 * Whether the client is inside a transaction (open or failed), from the server's own status in
 * its last ReadyForQuery, as libpq's PQtransactionStatus.
 */
export function inOpenTransaction(client: pg.ClientBase): boolean {
  return client.getTransactionStatus() !== 'I';
}

/** `fn` all or nothing: a savepoint when the caller has a transaction open, else a transaction of its own. */
export function atomically<T>(client: pg.ClientBase, savepointName: string, fn: () => Promise<T>): Promise<T> {
  return inOpenTransaction(client) ? inSavepoint(client, savepointName, fn) : inTransaction(client, fn);
}

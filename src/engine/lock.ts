import type pg from 'pg';
import { MigrationLockBusyError } from './errors.js';

/**
 * One migration run at a time, per database (advisory locks are scoped to the database): a session-level advisory lock on the migration
 * connection. Session level, so that it spans every migration's own transaction and is
 * released by the server if this process dies. A fixed key (hashtext() may change across majors).
 */
export const MIGRATION_LOCK_KEY = '7432190015102301'; // "voipdb" migrations; bigint as text for pg

export async function acquireMigrationLock(client: pg.ClientBase, waitMs: number, pollMs = 100): Promise<void> {
  await acquireAdvisoryLock(
    client,
    MIGRATION_LOCK_KEY,
    { waitMs, pollMs, scope: 'session' },
    (waited, holder) => new MigrationLockBusyError(waited, holder),
  );
}

/**
 * Takes an advisory lock (a bigint key, as text) without waiting in the server: polls
 * pg_try_advisory[_xact]_lock for up to `waitMs`, then throws `busy(waitedMs, holder)` naming the
 * session that holds it. Polling rather than lock_timeout, so the wait has its own limit (--lock-wait)
 * independent of the DDL's lock_timeout. `xact` locks are released at the end of the transaction.
 */
export async function acquireAdvisoryLock(
  client: pg.ClientBase,
  key: string,
  options: { waitMs: number; pollMs?: number; scope: 'session' | 'xact' },
  busy: (waitedMs: number, holder: string) => Error,
): Promise<void> {
  const started = Date.now();
  const pollMs = options.pollMs ?? 100;
  const fn = options.scope === 'xact' ? 'pg_try_advisory_xact_lock' : 'pg_try_advisory_lock';
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(`SELECT ${fn}($1::bigint) AS locked`, [key]);
    if (rows[0]!.locked) return;
    if (Date.now() - started >= options.waitMs) throw busy(Date.now() - started, await describeAdvisoryLockHolder(client, key));
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, options.waitMs - (Date.now() - started)))));
  }
}

export async function releaseMigrationLock(client: pg.ClientBase): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
}

/** "pid 1234, application_name voipdb, user postgres, since 2026-…": who holds advisory lock `key` in this database. */
export async function describeAdvisoryLockHolder(client: pg.ClientBase, key: string): Promise<string> {
  const { rows } = await client.query<{
    pid: number;
    application_name: string;
    usename: string;
    backend_start: Date;
    client_addr: string | null;
  }>(
    `SELECT a.pid, a.application_name, a.usename, a.backend_start, a.client_addr::text AS client_addr
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint AND l.objsubid = 1`,
    [key],
  );
  const h = rows[0];
  if (!h) return 'the holder has just released it';
  return `pid ${h.pid}, application_name "${h.application_name}", user ${h.usename}${h.client_addr ? ` from ${h.client_addr}` : ''}, connected since ${h.backend_start.toISOString()}`;
}

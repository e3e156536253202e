import type pg from 'pg';

/**
 * DDL on a live platform must never queue behind a long transaction for long: while it waits for
 * its lock, every later query on the table (Kamailio's lookups, FreeSWITCH's CDR inserts) queues
 * behind it. So DDL runs with lock_timeout, and a lock_timeout (SQLSTATE 55P03) is retried with
 * doubling backoff, then reported naming the sessions in the way. This is the one implementation
 * of that loop: migrations (src/engine/run-migration.ts) and CDR partition maintenance
 * (src/voip/partitions.ts) both use it.
 */
export interface LockRetryLimits {
  /** lock_timeout for every statement, so DDL never queues behind a long transaction. */
  lockTimeoutMs: number;
  /** How many times an attempt that hit lock_timeout is retried (after the first attempt). */
  lockRetries: number;
  /** First backoff between attempts; doubles each time. */
  retryBackoffMs: number;
}

/** The defaults of `db migrate` and `db partitions` (--lock-timeout 5s, --lock-retries 3). */
export const DEFAULT_LOCK_RETRY_LIMITS: LockRetryLimits = { lockTimeoutMs: 5_000, lockRetries: 3, retryBackoffMs: 1_000 };

export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '55P03';
}

/**
 * Runs `attempt` (which must undo itself when it fails: a transaction or a savepoint) until it
 * succeeds, retrying a lock_timeout `limits.lockRetries` times. `onRetry` hears of each wait;
 * when the retries are spent, the error `giveUp` builds is thrown (with the number of attempts).
 */
export async function retryOnLockTimeout<T>(
  limits: LockRetryLimits,
  attempt: () => Promise<T>,
  handlers: {
    onRetry?: (retry: { attempt: number; waitMs: number }) => void;
    giveUp: (attempts: number, cause: unknown) => Promise<Error>;
  },
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isLockTimeout(error)) throw error;
      if (n >= limits.lockRetries) throw await handlers.giveUp(n + 1, error);
      const waitMs = limits.retryBackoffMs * 2 ** n;
      handlers.onRetry?.({ attempt: n + 1, waitMs });
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

/**
 * The sessions most likely in the way of a lock, for the error message: those holding a lock on
 * one of `relations` (when given), else the oldest open transactions of this database. Asked
 * after the timeout, when our own wait is over, so pg_blocking_pids() can no longer tell.
 */
export async function describeBlockers(client: pg.ClientBase, relations: string[] = []): Promise<string> {
  const { rows } = await client.query<{
    pid: number;
    application_name: string;
    usename: string;
    state: string;
    since: string | null;
    locks: string | null;
  }>(
    `SELECT a.pid, a.application_name, a.usename, a.state,
            to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' AS since,
            string_agg(DISTINCT l.mode || ' on ' || l.relation::regclass::text, ', ') AS locks
       FROM pg_stat_activity a
       LEFT JOIN pg_locks l ON l.pid = a.pid AND l.granted AND l.relation = ANY ($1::regclass[])
      WHERE a.pid <> pg_backend_pid() AND a.datname = current_database()
        AND (CASE WHEN cardinality($1::regclass[]) > 0 THEN l.pid IS NOT NULL ELSE a.xact_start IS NOT NULL END)
      GROUP BY a.pid, a.application_name, a.usename, a.state, a.xact_start
      ORDER BY a.xact_start NULLS LAST LIMIT 3`,
    [relations],
  );
  return rows
    .map(
      (r) =>
        `pid ${r.pid} (${r.application_name ? `application_name "${r.application_name}", ` : ''}user ${r.usename}, ${r.state}${r.since ? `, transaction open since ${r.since}` : ''}${r.locks ? `, holds ${r.locks}` : ''})`,
    )
    .join('; ');
}

import pg from 'pg';
import { DEFAULT_LOCK_RETRY_LIMITS, describeBlockers, type LockRetryLimits, retryOnLockTimeout } from '../database/lock-timeout-retry.js';
import { requirePrimary } from '../database/node-role.js';
import { atomically, inOpenTransaction } from '../database/transaction.js';
import { acquireAdvisoryLock } from '../engine/lock.js';
import { CdrPartitionArgumentError, PartitionLockBusyError } from './errors.js';
import { MigrationLockTimeoutError } from '../engine/errors.js';
import { UsageError } from '../errors.js';

/**
 * Monthly partitions of voip.cdr (cdr_YYYYMM, UTC months). The work is done by the database
 * functions of migration 0006, so VoIP Admin's worker (which may call them directly) and
 * `db partitions` share one implementation; this module validates, guards and reports.
 */
export interface CdrPartition {
  name: string;
  /** Inclusive lower bound. */
  from: Date;
  /** Exclusive upper bound. */
  to: Date;
}

export interface PartitionMaintenanceOptions {
  /** Months after the current UTC month to create (default 3). */
  ahead?: number;
  /** Months before the current UTC month to keep; older partitions are dropped. Absent = drop nothing. */
  retain?: number;
  /** "Now" (tests); defaults to the server's now(). The server refuses one more than 31 days from its clock. */
  at?: Date;
  /** lock_timeout and retries of the DDL; defaults as `db migrate` (5 s, 3 retries). */
  limits?: Partial<LockRetryLimits>;
  /** How long to wait for another maintainer's partition lock (default 60 s, as --lock-wait). */
  lockWaitMs?: number;
  /** Hears of each retry after a lock_timeout. */
  onRetry?: (retry: { attempt: number; waitMs: number }) => void;
}

/** Lock timing of partition maintenance (a subset of PartitionMaintenanceOptions). */
export type PartitionLockOptions = Pick<PartitionMaintenanceOptions, 'limits' | 'lockWaitMs' | 'onRetry'>;

export interface PartitionMaintenanceResult {
  created: string[];
  dropped: string[];
  partitions: CdrPartition[];
}

export const DEFAULT_PARTITIONS_AHEAD = 3;
/** The most months ahead voip.cdr_ensure_partitions() accepts (migration 0008). */
export const MAX_PARTITIONS_AHEAD = 24;
export const DEFAULT_PARTITION_LOCK_WAIT_MS = 60_000;
/** The advisory lock the database functions take (hashtext of this name), so the CLI waits for it the same way. */
const PARTITION_LOCK_NAME = 'voip.cdr partition maintenance';

/**
 * `db partitions`: creates the missing partitions and applies retention, in one transaction,
 * under the partition lock (waited for up to `lockWaitMs`) and lock_timeout (retried).
 */
export async function maintainCdrPartitions(
  client: pg.ClientBase,
  options: PartitionMaintenanceOptions = {},
): Promise<PartitionMaintenanceResult> {
  const ahead = options.ahead ?? DEFAULT_PARTITIONS_AHEAD;
  checkMonths('--ahead', ahead, 0, MAX_PARTITIONS_AHEAD);
  if (options.retain !== undefined) checkMonths('--retain', options.retain, 0, 1200);
  await requirePrimary(client, 'maintain CDR partitions');
  const { retain } = options;
  if (retain === undefined || !(await canDetachConcurrently(client))) {
    return withPartitionMaintenanceLocks(client, options, async () => {
      const created = await ensureCdrPartitions(client, ahead, options.at);
      const dropped = retain === undefined ? [] : await dropCdrPartitions(client, retain, options.at);
      return { created, dropped, partitions: await listCdrPartitions(client) };
    });
  }
  // Retention detaches CONCURRENTLY, outside any transaction, so the maintenance lock is held
  // by the session for the whole run: no other maintainer sees a half-finished list.
  const key = await partitionLockKey(client);
  await takePartitionLock(client, key, options, 'session');
  try {
    const { created, chosen } = await withPartitionMaintenanceLocks(client, options, async () => ({
      created: await ensureCdrPartitions(client, ahead, options.at),
      chosen: await cdrPartitionsToDrop(client, retain, options.at),
    }));
    // A run killed or timed out during a detach left it pending: it is finished first.
    const dropped: string[] = [];
    for (const name of [...(await pendingDetaches(client)), ...chosen]) {
      await detachAndDropConcurrently(client, name, options);
      dropped.push(name);
    }
    return { created, dropped, partitions: await listCdrPartitions(client) };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
  }
}

/**
 * DETACH PARTITION ... CONCURRENTLY needs a session outside a transaction block, owning voip.cdr
 * (the migrating role, as `db partitions` is run). Otherwise retention goes through
 * voip.cdr_drop_partitions(), which detaches inside its transaction.
 */
async function canDetachConcurrently(client: pg.ClientBase): Promise<boolean> {
  if (inOpenTransaction(client)) return false;
  const { rows } = await client.query<{ owner: boolean }>(
    "SELECT pg_has_role(current_user, relowner, 'USAGE') AS owner FROM pg_class WHERE oid = 'voip.cdr'::regclass",
  );
  return rows[0]?.owner === true;
}

/**
 * Detaches one partition without taking a lock that CDR inserts or reports wait for (SHARE
 * UPDATE EXCLUSIVE on voip.cdr), then drops it. CONCURRENTLY's second step waits for every
 * transaction that may still see the partition; under lock_timeout that wait can end in an
 * error, which leaves the partition pending: the retry (and any later run) finishes it with
 * FINALIZE. Each attempt reads the partition's state first, so a retry never repeats a step.
 */
async function detachAndDropConcurrently(client: pg.ClientBase, name: string, options: PartitionLockOptions): Promise<void> {
  const limits = { ...DEFAULT_LOCK_RETRY_LIMITS, ...options.limits };
  const table = `voip.${pg.escapeIdentifier(name)}`;
  await retryOnLockTimeout(
    limits,
    async () => {
      const previous = await client.query<{ value: string }>(
        "SELECT current_setting('lock_timeout') AS value, set_config('lock_timeout', $1, false)",
        [`${Math.trunc(limits.lockTimeoutMs)}ms`],
      );
      try {
        const { rows } = await client.query<{ pending: boolean }>(
          "SELECT i.inhdetachpending AS pending FROM pg_inherits i WHERE i.inhparent = 'voip.cdr'::regclass AND i.inhrelid = to_regclass($1)",
          [table],
        );
        if (rows[0]?.pending === true) await client.query(`ALTER TABLE voip.cdr DETACH PARTITION ${table} FINALIZE`);
        else if (rows[0]) await client.query(`ALTER TABLE voip.cdr DETACH PARTITION ${table} CONCURRENTLY`);
        await client.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await client.query("SELECT set_config('lock_timeout', $1, false)", [previous.rows[0]!.value]);
      }
    },
    {
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      giveUp: maintenanceLockTimeout(
        client,
        limits,
        [table],
        `${name} is left detaching (no longer read or written through voip.cdr); the next run finishes it`,
      ),
    },
  );
}

/** cdr_YYYYMM partitions whose detach an interrupted run left pending. */
async function pendingDetaches(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'voip.cdr'::regclass AND i.inhdetachpending AND c.relname ~ '^cdr_[0-9]{6}$'
      ORDER BY c.relname`,
  );
  return rows.map((r) => r.name);
}

/** The partitions retention would drop (migration 0011's voip.cdr_partitions_to_drop: the clock and newest-CDR rules). */
export async function cdrPartitionsToDrop(client: pg.ClientBase, retain: number, at?: Date): Promise<string[]> {
  return partitionNames(client, 'cdr_partitions_to_drop', retain, at);
}

/** The partition-maintenance lock, waited for up to `lockWaitMs`, then PartitionLockBusyError naming its holder. */
function takePartitionLock(client: pg.ClientBase, key: string, options: PartitionLockOptions, scope: 'session' | 'xact'): Promise<void> {
  return acquireAdvisoryLock(client, key, { waitMs: options.lockWaitMs ?? DEFAULT_PARTITION_LOCK_WAIT_MS, scope }, (waited, holder) => {
    return new PartitionLockBusyError(waited, holder);
  });
}

async function partitionLockKey(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ key: string }>('SELECT hashtext($1)::bigint::text AS key', [PARTITION_LOCK_NAME]);
  return rows[0]!.key;
}

/**
 * Runs `work` (partition DDL) the way migrations run: lock_timeout on every statement, so CDR
 * inserts queued behind the DDL never wait longer than that; a lock_timeout is retried with
 * backoff, then reported naming the sessions holding locks on voip.cdr. The partition lock is
 * taken first, polling for up to `lockWaitMs`, then reported naming its holder.
 *
 * Each attempt is its own transaction, or, when the caller is already inside one, a savepoint
 * (then lock_timeout is put back as it was, and the partition lock is held to the caller's end).
 */
export async function withPartitionMaintenanceLocks<T>(
  client: pg.ClientBase,
  options: PartitionLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const limits = { ...DEFAULT_LOCK_RETRY_LIMITS, ...options.limits };
  const key = await partitionLockKey(client);
  const attempt = async (): Promise<T> => {
    const previous = await client.query<{ value: string }>(
      "SELECT current_setting('lock_timeout') AS value, set_config('lock_timeout', $1, true)",
      [`${Math.trunc(limits.lockTimeoutMs)}ms`],
    );
    await takePartitionLock(client, key, options, 'xact');
    const result = await work();
    await client.query("SELECT set_config('lock_timeout', $1, true)", [previous.rows[0]!.value]);
    return result;
  };
  return retryOnLockTimeout(limits, () => atomically(client, 'voipdb_partition_maintenance', attempt), {
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    giveUp: maintenanceLockTimeout(client, limits, []),
  });
}

/**
 * What partition maintenance reports when its DDL did not get its locks within lock_timeout
 * after every retry: the sessions holding locks on voip.cdr (and on `tables`), and, when the
 * work was left halfway, what state it left.
 */
function maintenanceLockTimeout(
  client: pg.ClientBase,
  limits: LockRetryLimits,
  tables: string[],
  outcome?: string,
): (attempts: number) => Promise<MigrationLockTimeoutError> {
  return async (attempts) =>
    new MigrationLockTimeoutError(
      'CDR partition maintenance',
      attempts,
      limits.lockTimeoutMs,
      await describeBlockers(client, ['voip.cdr', ...tables]),
      outcome === undefined ? {} : { outcome },
    );
}

/** Creates the current UTC month's partition and `ahead` more; returns the names created. */
export async function ensureCdrPartitions(client: pg.ClientBase, ahead: number, at?: Date): Promise<string[]> {
  return partitionNames(client, 'cdr_ensure_partitions', ahead, at);
}

/**
 * For `db migrate`'s post-step: premakes the partitions when migration 0006 is applied, and
 * returns null (doing nothing) when it is not (e.g. `db migrate --to 3`). Runs with the locks of
 * withPartitionMaintenanceLocks (`options` as `db migrate`'s --lock-timeout, --lock-retries,
 * --lock-wait), in the caller's transaction if any; the caller has already refused a standby.
 */
export async function ensureCdrPartitionsIfInstalled(
  client: pg.ClientBase,
  ahead = DEFAULT_PARTITIONS_AHEAD,
  options: PartitionLockOptions = {},
): Promise<string[] | null> {
  const { rows } = await client.query<{ installed: boolean }>(
    "SELECT to_regprocedure('voip.cdr_ensure_partitions(integer,timestamp with time zone)') IS NOT NULL AS installed",
  );
  if (!rows[0]?.installed) return null;
  return withPartitionMaintenanceLocks(client, options, () => ensureCdrPartitions(client, ahead));
}

/** Detaches and drops partitions older than `retain` months before the current one; returns their names. */
export async function dropCdrPartitions(client: pg.ClientBase, retain: number, at?: Date): Promise<string[]> {
  return partitionNames(client, 'cdr_drop_partitions', retain, at);
}

/** Creates the partition of the month containing `month` (for back-filling old CDRs). */
export async function createCdrPartition(client: pg.ClientBase, month: Date): Promise<string | null> {
  const { rows } = await client
    .query<{ name: string | null }>('SELECT voip.cdr_create_partition($1::timestamptz) AS name', [month])
    .catch(toArgumentError);
  return rows[0]?.name ?? null;
}

/** Every partition of voip.cdr with its bounds, oldest first. */
export async function listCdrPartitions(client: pg.ClientBase): Promise<CdrPartition[]> {
  const { rows } = await client.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'voip.cdr'::regclass
      ORDER BY c.relname`,
  );
  return rows.map((r) => ({ name: r.name, ...parseRangeBound(r.bound) }));
}

/** FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2025-02-01 00:00:00+00') -> dates. */
export function parseRangeBound(bound: string): { from: Date; to: Date } {
  const match = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(bound);
  if (!match) throw new Error(`unexpected partition bound: ${bound}`);
  return { from: toDate(match[1]!), to: toDate(match[2]!) };
}

function toDate(text: string): Date {
  // "2025-01-01 00:00:00+00" -> ISO 8601 with a full offset.
  return new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
}

function checkMonths(flag: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `${flag} must be a whole number of months between ${min} and ${max}, got ${value}`,
      `e.g. ${flag} ${flag === '--ahead' ? DEFAULT_PARTITIONS_AHEAD : 24}`,
    );
  }
}

/**
 * Calls one of the maintenance functions that take (months, at) and return partition names.
 * `at` absent is the server's now(), never this machine's clock.
 */
async function partitionNames(
  client: pg.ClientBase,
  fn: 'cdr_ensure_partitions' | 'cdr_drop_partitions' | 'cdr_partitions_to_drop',
  months: number,
  at: Date | undefined,
): Promise<string[]> {
  const { rows } = await client
    .query<{ name: string }>(`SELECT name FROM voip.${fn}($1::integer, coalesce($2::timestamptz, now())) AS name`, [months, at ?? null])
    .catch(toArgumentError);
  return rows.map((r) => r.name);
}

/** The functions' refusals of their arguments (SQLSTATE 22023) become a typed error; anything else passes. */
function toArgumentError(error: unknown): never {
  const e = error as { code?: string; message?: string; hint?: string };
  if (e.code === '22023') throw new CdrPartitionArgumentError(e.message ?? String(error), e.code, e.hint, error);
  throw error;
}

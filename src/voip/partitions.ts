import type pg from 'pg';
import { UsageError } from '../errors.js';
import { requirePrimary } from '../database/node-role.js';
import { inTransaction } from './primary.js';

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
  /** "Now" (tests); defaults to the server's now(). */
  at?: Date;
}

export interface PartitionMaintenanceResult {
  created: string[];
  dropped: string[];
  partitions: CdrPartition[];
}

export const DEFAULT_PARTITIONS_AHEAD = 3;

/** `db partitions`: creates the missing partitions and applies retention, in one transaction. */
export async function maintainCdrPartitions(
  client: pg.ClientBase,
  options: PartitionMaintenanceOptions = {},
): Promise<PartitionMaintenanceResult> {
  const ahead = options.ahead ?? DEFAULT_PARTITIONS_AHEAD;
  checkMonths('--ahead', ahead, 0, 120);
  if (options.retain !== undefined) checkMonths('--retain', options.retain, 0, 1200);
  await requirePrimary(client, 'maintain CDR partitions');
  return inTransaction(client, async () => {
    const created = await ensureCdrPartitions(client, ahead, options.at);
    const dropped = options.retain === undefined ? [] : await dropCdrPartitions(client, options.retain, options.at);
    return { created, dropped, partitions: await listCdrPartitions(client) };
  });
}

/** Creates the current UTC month's partition and `ahead` more; returns the names created. */
export async function ensureCdrPartitions(client: pg.ClientBase, ahead: number, at?: Date): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM voip.cdr_ensure_partitions($1::integer, coalesce($2::timestamptz, now())) AS name',
    [ahead, at ?? null],
  );
  return rows.map((r) => r.name);
}

/**
 * For `db migrate`'s post-step: premakes the partitions when migration 0006 is applied, and
 * returns null (doing nothing) when it is not (e.g. `db migrate --to 3`). Runs in the caller's
 * transaction, if any; the caller has already refused a standby.
 */
export async function ensureCdrPartitionsIfInstalled(client: pg.ClientBase, ahead = DEFAULT_PARTITIONS_AHEAD): Promise<string[] | null> {
  const { rows } = await client.query<{ installed: boolean }>(
    "SELECT to_regprocedure('voip.cdr_ensure_partitions(integer,timestamp with time zone)') IS NOT NULL AS installed",
  );
  if (!rows[0]?.installed) return null;
  return ensureCdrPartitions(client, ahead);
}

/** Detaches and drops partitions older than `retain` months before the current one; returns their names. */
export async function dropCdrPartitions(client: pg.ClientBase, retain: number, at?: Date): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    'SELECT name FROM voip.cdr_drop_partitions($1::integer, coalesce($2::timestamptz, now())) AS name',
    [retain, at ?? null],
  );
  return rows.map((r) => r.name);
}

/** Creates the partition of the month containing `month` (for back-filling old CDRs). */
export async function createCdrPartition(client: pg.ClientBase, month: Date): Promise<string | null> {
  const { rows } = await client.query<{ name: string | null }>('SELECT voip.cdr_create_partition($1::timestamptz) AS name', [month]);
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

import type pg from 'pg';
import type { Env } from '../config/connection.js';
import { PLATFORM_ROLES, readRolePassword, syncRolePasswords, type PasswordSyncResult } from '../roles/index.js';
import { DEFAULT_PARTITIONS_AHEAD, ensureCdrPartitionsIfInstalled, type PartitionLockOptions } from '../voip/partitions.js';

/** What the steps after the migrations did, for the summary. */
export interface PostMigrateReport {
  passwords: PasswordSyncResult[];
  /** CDR partitions created (current month and the next ones). */
  cdrPartitionsCreated: string[];
}

/**
 * Reads every configured secret before anything runs, so that an unreadable secret file stops
 * `db migrate` before the first migration instead of after the last one.
 */
export function validatePostMigrateInputs(env: Env): void {
  for (const role of PLATFORM_ROLES) readRolePassword(role, env);
}

/**
 * Steps that run after the migrations, under the same lock, on every `db migrate`. They apply
 * state that cannot live in a migration file: role passwords from the environment (a changed
 * variable takes effect on the next run), and the CDR partitions of this month and the next
 * ones (date-dependent, so schema.sql stays the same whatever day it is built). Both write
 * nothing when there is nothing to change. The partition DDL runs with the run's lock_timeout,
 * retries and --lock-wait, as the migrations do.
 */
export async function runPostMigrateSteps(
  client: pg.Client,
  env: Env,
  options: { cdrPartitionsAhead?: number; partitionLocks?: PartitionLockOptions } = {},
): Promise<PostMigrateReport> {
  const passwords = await syncRolePasswords(client, env);
  const ahead = options.cdrPartitionsAhead ?? DEFAULT_PARTITIONS_AHEAD;
  if (ahead < 0) return { passwords, cdrPartitionsCreated: [] };
  // Nothing to do before migration 0006 has created the function (e.g. `db migrate --to 3`).
  const cdrPartitionsCreated = (await ensureCdrPartitionsIfInstalled(client, ahead, options.partitionLocks)) ?? [];
  return { passwords, cdrPartitionsCreated };
}

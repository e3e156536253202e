import type pg from 'pg';
import { refuseUnadoptedKamailio } from '../adopt/detect.js';
import type { ConnectionConfig, Env } from '../config/connection.js';
import { describeConnection } from '../config/connection.js';
import { connect, readNodeRole } from '../database/connect.js';
import { StandbyRefusedError } from '../errors.js';
import { readMigrationFiles, type MigrationFile } from './files.js';
import { ensureHistoryTable, readHistory, type AppliedMigration } from './history.js';
import { acquireMigrationLock, releaseMigrationLock } from './lock.js';
import { planDown, planUp, verifyHistory } from './plan.js';
import { runMigration, type MigrationEvent, type MigrationLimits } from './run-migration.js';
import { runPostMigrateSteps, validatePostMigrateInputs, type PostMigrateReport } from './post-migrate.js';

export interface EngineOptions extends Partial<MigrationLimits> {
  migrationsDir: string;
  /** How long to wait for another run's migration lock before giving up. */
  lockWaitMs?: number;
  /** Environment for role passwords (VOIPDB_*_PASSWORD[_FILE]); never process.env implicitly. */
  env?: Env;
  /**
   * After migrating, create the CDR partitions of this month and this many following months
   * (default 3). -1 skips the step: the bare schema, as schema.sql shows it.
   */
  cdrPartitionsAhead?: number;
  onEvent?: (event: MigrationEvent) => void;
}

export const DEFAULT_LIMITS: MigrationLimits = { lockTimeoutMs: 5_000, statementTimeoutMs: 0, lockRetries: 3, retryBackoffMs: 1_000 };
export const DEFAULT_LOCK_WAIT_MS = 60_000;

export interface NodeInfo {
  role: 'primary' | 'standby';
  serverVersion: string;
}

export interface MigrateResult {
  node: NodeInfo;
  applied: Array<{ version: number; name: string; durationMs: number }>;
  /** Migrations that were already applied before this run. */
  upToDate: number;
  postMigrate: PostMigrateReport;
  totalMs: number;
}

export interface DryRunResult {
  node: NodeInfo;
  wouldApply: Array<{ version: number; name: string; file: string; transactional: boolean; sql: string }>;
}

function limitsOf(options: EngineOptions): MigrationLimits {
  return {
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LIMITS.lockTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_LIMITS.statementTimeoutMs,
    lockRetries: options.lockRetries ?? DEFAULT_LIMITS.lockRetries,
    retryBackoffMs: options.retryBackoffMs ?? DEFAULT_LIMITS.retryBackoffMs,
  };
}

/** Refuses on a hot standby before anything is locked or written. */
async function requirePrimary(client: pg.Client, config: ConnectionConfig, action: string): Promise<NodeInfo> {
  const node = await readNodeRole(client);
  if (node.role === 'standby') throw new StandbyRefusedError(action, describeConnection(config));
  return { role: node.role, serverVersion: node.serverVersion };
}

/**
 * If this process dies mid-migration, the server would otherwise keep running the statement (and
 * hold the migration lock) until it next writes to the socket. PostgreSQL 14+ can poll the
 * client: the transaction is then rolled back and the lock released within a second.
 */
async function watchForDeadClient(client: pg.Client): Promise<void> {
  await client.query(
    "SELECT set_config('client_connection_check_interval', '1000', false) WHERE current_setting('server_version_num')::int >= 140000",
  );
}

/**
 * The session every writing run shares: refuse on a standby, watch for our own death, check the
 * history and the plan before locking, then lock, re-read the history (another run may have
 * applied migrations meanwhile), re-plan, and run `work` with that plan. Unlocks and disconnects
 * whatever happens.
 */
async function withMigrationSession<T>(
  config: ConnectionConfig,
  options: EngineOptions,
  action: string,
  plan: (files: MigrationFile[], history: AppliedMigration[]) => MigrationFile[],
  work: (client: pg.Client, node: NodeInfo, plan: MigrationFile[], history: AppliedMigration[]) => Promise<T>,
  prepare: (client: pg.Client) => Promise<void> = async () => undefined,
): Promise<T> {
  const files = await readMigrationFiles(options.migrationsDir);
  const client = await connect(config);
  try {
    const node = await requirePrimary(client, config, action);
    await watchForDeadClient(client);
    const before = await readHistory(client);
    verifyHistory(files, before);
    plan(files, before);
    await acquireMigrationLock(client, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
    try {
      await prepare(client);
      const history = await readHistory(client);
      verifyHistory(files, history);
      return await work(client, node, plan(files, history), history);
    } finally {
      await releaseMigrationLock(client).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs a plan, collecting what was done and passing each event on. */
async function runCollecting(
  client: pg.Client,
  plan: MigrationFile[],
  direction: 'up' | 'down',
  options: EngineOptions,
): Promise<Array<{ version: number; name: string; durationMs: number }>> {
  const done: Array<{ version: number; name: string; durationMs: number }> = [];
  await runPlan(client, plan, direction, limitsOf(options), (event) => {
    if (event.type === 'done') done.push({ version: event.migration.version, name: event.migration.name, durationMs: event.durationMs });
    options.onEvent?.(event);
  });
  return done;
}

/**
 * `db migrate`: applies pending migrations up to `to` (all when absent), one transaction each,
 * under the migration lock; then the post-migrate steps (role passwords, CDR partitions).
 */
export async function migrate(config: ConnectionConfig, options: EngineOptions & { to?: number }): Promise<MigrateResult> {
  const started = performance.now();
  validatePostMigrateInputs(options.env ?? {});
  return withMigrationSession(
    config,
    options,
    'migrate',
    (files, history) => planUp(files, history, options.to),
    async (client, node, plan, history) => {
      const applied = await runCollecting(client, plan, 'up', options);
      const postMigrate = await runPostMigrateSteps(
        client,
        options.env ?? {},
        options.cdrPartitionsAhead !== undefined ? { cdrPartitionsAhead: options.cdrPartitionsAhead } : {},
      );
      return { node, applied, upToDate: history.length, postMigrate, totalMs: performance.now() - started };
    },
    // A kamdbctl-made database must be adopted first (src/adopt), never built a second time beside.
    async (client) => {
      await refuseUnadoptedKamailio(client);
      await ensureHistoryTable(client);
    },
  );
}

/** `db migrate --dry-run`: what would run, with its SQL. Reads only; takes no lock. */
export async function planMigrate(config: ConnectionConfig, options: EngineOptions & { to?: number }): Promise<DryRunResult> {
  const files = await readMigrationFiles(options.migrationsDir);
  const client = await connect(config);
  try {
    const node = await readNodeRole(client);
    await refuseUnadoptedKamailio(client, 'plan a migration');
    const history = await readHistory(client);
    verifyHistory(files, history);
    const plan = planUp(files, history, options.to);
    return {
      node: { role: node.role, serverVersion: node.serverVersion },
      wouldApply: plan.map((m) => ({
        version: m.version,
        name: m.name,
        file: m.file,
        transactional: m.transactional,
        sql: m.sql ?? `-- ${m.file}: TypeScript migration (up)`,
      })),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface DownResult {
  node: NodeInfo;
  reverted: Array<{ version: number; name: string; durationMs: number }>;
  totalMs: number;
}

/** `db down --to <version> | --step <n>`: reverts newest first with the down files. */
export async function down(config: ConnectionConfig, options: EngineOptions & { to?: number; step?: number }): Promise<DownResult> {
  const started = performance.now();
  const target = { ...(options.to !== undefined ? { to: options.to } : {}), ...(options.step !== undefined ? { step: options.step } : {}) };
  return withMigrationSession(
    config,
    options,
    'revert migrations',
    (files, history) => planDown(files, history, target),
    async (client, node, plan) => ({
      node,
      reverted: await runCollecting(client, plan, 'down', options),
      totalMs: performance.now() - started,
    }),
  );
}

/** Runs the planned migrations in the planner's order (up: oldest first; down: newest first). */
async function runPlan(
  client: pg.Client,
  plan: MigrationFile[],
  direction: 'up' | 'down',
  limits: MigrationLimits,
  onEvent: (e: MigrationEvent) => void,
): Promise<void> {
  for (const migration of plan) await runMigration(client, migration, direction, limits, onEvent);
}

export interface StatusResult {
  node: NodeInfo;
  applied: Array<{
    version: number;
    name: string;
    checksum: string;
    appliedAt: string;
    durationMs: number;
    appliedBy: string;
    fileChanged: boolean;
    fileMissing: boolean;
    /** Recorded by `db adopt` (its objects came from a kamdbctl database). */
    adopted?: boolean;
  }>;
  pending: Array<{ version: number; name: string }>;
}

/** `db status`: applied and pending migrations and the node's role. Reads only; works on a standby. */
export async function migrationStatus(client: pg.Client, migrationsDir: string): Promise<StatusResult> {
  const files = await readMigrationFiles(migrationsDir);
  const node = await readNodeRole(client);
  const history = await readHistory(client);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const done = new Set(history.map((h) => h.version));
  return {
    node: { role: node.role, serverVersion: node.serverVersion },
    applied: history.map((h) => ({
      version: h.version,
      name: h.name,
      checksum: h.checksum,
      appliedAt: h.appliedAt.toISOString(),
      durationMs: h.durationMs,
      appliedBy: h.appliedBy,
      fileChanged: byVersion.has(h.version) && byVersion.get(h.version)!.checksum !== h.checksum,
      fileMissing: !byVersion.has(h.version),
      adopted: h.adopted === true,
    })),
    pending: files.filter((f) => !done.has(f.version)).map((f) => ({ version: f.version, name: f.name })),
  };
}

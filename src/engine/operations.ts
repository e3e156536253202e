import { DEFAULT_LOCK_RETRY_LIMITS } from '../database/lock-timeout-retry.js';
import type { NodeInfo } from '../database/node-info.js';
import { attachRun } from './failed-run.js';
import type { MigrationHook } from './hooks.js';
import { compareHistory } from './compare.js';
import type { MigrationFile } from './files.js';
import type { AppliedMigration } from './history.js';
import { type MigrationTarget, planDown, planUp, verifyHistory } from './plan.js';
import { type Direction, type MigrationRun, plannedOutcome } from './result.js';
import type { MigrationEvent, MigrationLimits } from './run-migration.js';
import { DEFAULT_LOCK_WAIT_MS, readState, type Session, withMigrationLock } from './session.js';

export interface EngineOptions extends Partial<MigrationLimits> {
  migrationsDir: string;
  /** How long to wait for another run's migration lock before giving up. */
  lockWaitMs?: number;
  /** Steps after a successful `migrate` (see hooks.ts); none: the bare schema of the migrations. */
  hooks?: readonly MigrationHook[];
  onEvent?: (event: MigrationEvent) => void;
}

export const DEFAULT_LIMITS: MigrationLimits = { ...DEFAULT_LOCK_RETRY_LIMITS, statementTimeoutMs: 0 };

function limitsOf(options: EngineOptions): MigrationLimits {
  return {
    lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LIMITS.lockTimeoutMs,
    statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_LIMITS.statementTimeoutMs,
    lockRetries: options.lockRetries ?? DEFAULT_LIMITS.lockRetries,
    retryBackoffMs: options.retryBackoffMs ?? DEFAULT_LIMITS.retryBackoffMs,
  };
}

function targetOf(target: MigrationTarget): MigrationTarget {
  return { ...(target.to !== undefined ? { to: target.to } : {}), ...(target.step !== undefined ? { step: target.step } : {}) };
}

/**
 * One writing run, `migrate` or `down`: plan under the migration lock, run the plan, then (up
 * only) the hooks. Whatever happens after connecting, the error carries the run
 * as far as it got (`error.run`).
 */
async function writingRun(session: Session, options: EngineOptions & MigrationTarget, direction: Direction): Promise<MigrationRun> {
  const started = performance.now();
  const target = targetOf(options);
  const hooks = direction === 'up' ? (options.hooks ?? []) : [];
  for (const hook of hooks) await hook.validate?.();
  let run: MigrationRun | undefined;
  const plan = (files: MigrationFile[], history: AppliedMigration[]): MigrationFile[] =>
    direction === 'up' ? planUp(files, history, target) : planDown(files, history, target);
  try {
    return await withMigrationLock(
      session,
      {
        migrationsDir: options.migrationsDir,
        createHistory: direction === 'up',
        precheck: async (client) => {
          for (const hook of hooks) await hook.beforeMigrate?.(client);
        },
        ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
      },
      direction === 'up' ? 'migrate' : 'revert migrations',
      plan,
      (node, alreadyApplied) => {
        run = { node, direction, migrations: [], alreadyApplied, hooks: [], durationMs: 0 };
      },
      async (state) => {
        const current = run!;
        current.migrations = state.plan.map((f) => plannedOutcome(f, direction));
        if (state.plan.length > 0) {
          // The runner and the statement splitter load only when there is something to run:
          // most deploys have nothing pending, and they are a tenth of the command's modules.
          const { runPlan } = await import('./runner.js');
          await runPlan(state.client, state.plan, direction, limitsOf(options), current, options.onEvent ?? (() => undefined));
        }
        const limits = { ...limitsOf(options), lockWaitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS };
        for (const hook of hooks) current.hooks.push(await hook.afterMigrate(state.client, current, limits));
        current.durationMs = performance.now() - started;
        return current;
      },
    );
  } catch (error) {
    if (run) run.durationMs = performance.now() - started;
    throw attachRun(error, run);
  }
}

/**
 * `db migrate`: applies pending migrations up to the target (all when none), one transaction
 * each, under the migration lock; then the hooks.
 */
export function migrate(session: Session, options: EngineOptions & MigrationTarget): Promise<MigrationRun> {
  return writingRun(session, options, 'up');
}

/** `db down --to <version> | --step <n>`: reverts newest first with the down files. */
export function down(session: Session, options: EngineOptions & MigrationTarget): Promise<MigrationRun> {
  return writingRun(session, options, 'down');
}

/** A dry run: the run that `migrate` (or `down`) would make, every migration `not-run`, with its SQL. */
export interface PlanRun extends MigrationRun {
  steps: Array<{ version: number; file: string; transactional: boolean; sql: string }>;
}

/** `db migrate --dry-run`: reads only, takes no lock, works on a standby (which `migrate` would refuse). */
export async function planRun(
  session: Session,
  options: { migrationsDir: string; direction?: Direction } & MigrationTarget,
): Promise<PlanRun> {
  const started = performance.now();
  const direction = options.direction ?? 'up';
  const { node, files, history } = await readState(session, options.migrationsDir);
  const run: PlanRun = { node, direction, migrations: [], alreadyApplied: history.length, hooks: [], durationMs: 0, steps: [] };
  try {
    verifyHistory(files, history);
    const target = targetOf(options);
    const plan = direction === 'up' ? planUp(files, history, target) : planDown(files, history, target);
    run.migrations = plan.map((f) => plannedOutcome(f, direction));
    // planDown has refused a migration without a down file; what is listed is exactly what would run.
    run.steps = plan
      .map((m) => ({ version: m.version, ...(direction === 'up' ? m : m.down!) }))
      .map(({ version, file, sql, transactional }) => ({ version, file, sql, transactional }));
  } catch (error) {
    throw attachRun(error, run);
  } finally {
    run.durationMs = performance.now() - started;
  }
  return run;
}

export interface StatusEntry {
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
}

/**
 * `db status`: the run `migrate` would make (pending migrations `not-run`, up to the target),
 * after the applied ones (`applied`, with their recorded durations); plus each history row next
 * to its file. Reads only; works on a standby.
 */
export interface StatusRun extends MigrationRun {
  applied: StatusEntry[];
  pending: Array<{ version: number; name: string }>;
}

export async function migrationStatus(session: Session, migrationsDir: string, target: MigrationTarget = {}): Promise<StatusRun> {
  const started = performance.now();
  const { node, files, history } = await readState(session, migrationsDir);
  const comparison = compareHistory(files, history);
  const pending = target.to === undefined && target.step === undefined ? comparison.pending : planUp(files, history, targetOf(target));
  return {
    node,
    direction: 'up',
    migrations: [
      ...comparison.applied.map((a) => ({
        version: a.row.version,
        name: a.row.name,
        file: a.file?.file ?? `${a.row.version}_${a.row.name}`,
        direction: 'up' as const,
        status: 'applied' as const,
        durationMs: a.row.durationMs,
      })),
      ...pending.map((f) => plannedOutcome(f, 'up')),
    ],
    alreadyApplied: history.length,
    hooks: [],
    durationMs: performance.now() - started,
    applied: comparison.applied.map((a) => ({
      version: a.row.version,
      name: a.row.name,
      checksum: a.row.checksum,
      appliedAt: a.row.appliedAt.toISOString(),
      durationMs: a.row.durationMs,
      appliedBy: a.row.appliedBy,
      fileChanged: a.state === 'changed',
      fileMissing: a.state === 'missing',
      ...(a.row.adopted ? { adopted: true } : {}),
    })),
    pending: pending.map((f) => ({ version: f.version, name: f.name })),
  };
}

export type { NodeInfo };

import type pg from 'pg';
import type { UmzugStorage } from '../vendor/umzug.js';
import type { MigrationFile } from './files.js';
import type { AppliedMigration } from './history.js';
import { type MigrationEvent, type MigrationLimits, runMigration } from './run-migration.js';
import type { Direction, MigrationOutcome, MigrationRun } from './result.js';

/**
 * Runs a plan through umzug: umzug sequences the migrations and emits the events that drive the
 * progress lines and the run's outcomes; each migration's up/down is `runMigration`, which runs
 * it in its own transaction with its history row written inside it. Hence the storage below
 * writes nothing itself: logging a migration after `up()` returned would put the row outside
 * the migration's transaction.
 *
 * umzug is imported here, on demand (and this module by the engine only when the plan is not
 * empty): a run with nothing pending, the common case on every deploy, loads neither.
 */
export async function runPlan(
  client: pg.ClientBase,
  state: { files: readonly MigrationFile[]; history: readonly AppliedMigration[]; plan: readonly MigrationFile[] },
  direction: Direction,
  limits: MigrationLimits,
  run: MigrationRun,
  onEvent: (event: MigrationEvent) => void,
): Promise<void> {
  if (state.plan.length === 0) return;
  const { Umzug, MigrationError } = await import('../vendor/umzug.js');
  const byName = new Map(state.files.map((f) => [f.file, f]));
  const outcomes = new Map(run.migrations.map((m) => [m.file, m]));
  const durations = new Map<string, number>();
  // Start and done come from umzug's events; what happens inside one migration (retries, invalid
  // indexes dropped for a rebuild), where umzug does not look, is passed on as it comes.
  const passInner = (event: MigrationEvent): void => {
    if (event.type !== 'start' && event.type !== 'done') onEvent(event);
  };
  const step = (file: MigrationFile, dir: Direction) => async (): Promise<void> => {
    durations.set(file.file, await runMigration(client as pg.Client, file, dir, limits, passInner));
  };
  const umzug = new Umzug<Record<string, never>>({
    migrations: state.files.map((file) => ({ name: file.file, path: file.path, up: step(file, 'up'), down: step(file, 'down') })),
    storage: historyStorage(state.files, state.history),
    context: {},
    logger: undefined,
  });

  let current: { outcome: MigrationOutcome; started: number } | undefined;
  const started = ({ name }: { name: string }): void => {
    current = { outcome: outcomes.get(name)!, started: performance.now() };
    onEvent({ type: 'start', direction, migration: byName.get(name)! });
  };
  const finished = ({ name }: { name: string }): void => {
    const outcome = outcomes.get(name)!;
    outcome.status = direction === 'up' ? 'applied' : 'reverted';
    outcome.durationMs = durations.get(name) ?? 0;
    current = undefined;
    onEvent({ type: 'done', direction, migration: byName.get(name)!, durationMs: outcome.durationMs });
  };
  umzug.on(direction === 'up' ? 'migrating' : 'reverting', started);
  umzug.on(direction === 'up' ? 'migrated' : 'reverted', finished);

  const names = state.plan.map((f) => f.file);
  try {
    // By name, in the plan's order: umzug checks each is pending (up) or executed (down).
    if (direction === 'up') await umzug.up({ migrations: names });
    else await umzug.down({ migrations: names });
  } catch (error) {
    if (current) {
      current.outcome.status = 'failed';
      current.outcome.durationMs = performance.now() - current.started;
    }
    // umzug wraps what a migration threw; the engine's callers want the error itself.
    throw error instanceof MigrationError ? error.cause : error;
  }
}

/** umzug's view of voipdb_meta.migrations, as read under the migration lock: file names of the applied versions. */
function historyStorage(files: readonly MigrationFile[], history: readonly AppliedMigration[]): UmzugStorage<Record<string, never>> {
  const fileOf = new Map(files.map((f) => [f.version, f.file]));
  return {
    executed: async () => history.map((h) => fileOf.get(h.version) ?? `${h.version}_${h.name}`),
    // Written and deleted by runMigration inside each migration's transaction.
    logMigration: async () => undefined,
    unlogMigration: async () => undefined,
  };
}

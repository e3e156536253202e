import type pg from 'pg';
import type { MigrationFile } from './files.js';
import { type MigrationEvent, type MigrationLimits, runMigration } from './run-migration.js';
import type { Direction, MigrationRun } from './result.js';

/**
 * Runs a plan in its order: each migration's up/down is `runMigration`, which runs it in its own
 * transaction with its history row written inside it; the start and done events drive the
 * progress lines, and the run's outcomes record how far it got. The plan was made under the
 * migration lock from the files and the history (plan.ts), so nothing here needs to check again
 * whether a migration is pending.
 *
 * This module (and the statement splitter behind runMigration) is imported by the engine only
 * when the plan is not empty: a run with nothing pending, the common case on every deploy, loads
 * neither.
 */
export async function runPlan(
  client: pg.ClientBase,
  plan: readonly MigrationFile[],
  direction: Direction,
  limits: MigrationLimits,
  run: MigrationRun,
  onEvent: (event: MigrationEvent) => void,
): Promise<void> {
  const outcomes = new Map(run.migrations.map((m) => [m.file, m]));
  // Start and done are this loop's; what happens inside one migration (retries, invalid indexes
  // dropped for a rebuild) is passed on as it comes.
  const passInner = (event: MigrationEvent): void => {
    if (event.type !== 'start' && event.type !== 'done') onEvent(event);
  };
  for (const migration of plan) {
    const outcome = outcomes.get(migration.file)!;
    const started = performance.now();
    onEvent({ type: 'start', direction, migration });
    try {
      outcome.durationMs = await runMigration(client as pg.Client, migration, direction, limits, passInner);
    } catch (error) {
      outcome.status = 'failed';
      outcome.durationMs = performance.now() - started;
      throw error;
    }
    outcome.status = direction === 'up' ? 'applied' : 'reverted';
    onEvent({ type: 'done', direction, migration, durationMs: outcome.durationMs });
  }
}

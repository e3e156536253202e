import type { NodeInfo } from '../database/node-info.js';
import type { MigrationFile } from './files.js';

export type Direction = 'up' | 'down';

/** What became of one migration in a run. `not-run`: planned (or pending) but not reached. */
export type MigrationOutcomeStatus = 'applied' | 'reverted' | 'failed' | 'not-run';

export interface MigrationOutcome {
  version: number;
  name: string;
  /** File name of the up migration, e.g. 0003_kamailio_schema.sql. */
  file: string;
  direction: Direction;
  status: MigrationOutcomeStatus;
  /** How long it ran; 0 when it did not run. */
  durationMs: number;
}

/** What a hook did after the migrations, one human-readable line per change. */
export interface HookReport {
  hook: string;
  changes: string[];
}

/**
 * The one result model of the engine: `migrate`, `down`, `plan` and `status` each return a run,
 * the CLI renders it, and a failure carries it (`error.run`), so a caller always knows which
 * migrations ran, which one failed and which were never reached.
 */
export interface MigrationRun {
  node: NodeInfo;
  direction: Direction;
  /** In the order they run (or would): oldest first up, newest first down. */
  migrations: MigrationOutcome[];
  /** Migrations applied before this run started. */
  alreadyApplied: number;
  hooks: HookReport[];
  durationMs: number;
}

export function plannedOutcome(file: MigrationFile, direction: Direction): MigrationOutcome {
  return { version: file.version, name: file.name, file: file.file, direction, status: 'not-run', durationMs: 0 };
}

/** The migrations of a run that have the given status (e.g. what was applied). */
export function withStatus(run: MigrationRun, status: MigrationOutcomeStatus): MigrationOutcome[] {
  return run.migrations.filter((m) => m.status === status);
}

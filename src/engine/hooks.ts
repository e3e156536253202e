import type pg from 'pg';
import type { HookReport, MigrationRun } from './result.js';
import type { MigrationLimits } from './run-migration.js';

/**
 * A step the engine runs around a `migrate`, for state that cannot live in a migration file
 * (the platform's role passwords, its date-dependent partitions). The engine knows nothing of
 * what hooks do; whoever composes the engine chooses them. Without hooks, the engine builds
 * exactly the schema of the migrations.
 */
export interface MigrationHook {
  readonly name: string;
  /**
   * Before connecting: read and check the hook's inputs, so that a bad input (an unreadable
   * secret file) stops the run before the first migration instead of after the last.
   */
  validate?(): void | Promise<void>;
  /**
   * On the primary, before the migration lock and before anything is written (the history table
   * included): a hook may refuse the run here by throwing (e.g. a database that must be adopted first).
   */
  beforeMigrate?(client: pg.ClientBase): Promise<void>;
  /**
   * After the migrations of a `migrate` that succeeded (also when nothing was pending), on the
   * same session, on the primary, still under the migration lock. Writes nothing when nothing changes.
   */
  afterMigrate(client: pg.ClientBase, run: Readonly<MigrationRun>, limits: HookLimits): Promise<HookReport>;
}

/** The run's own lock limits, for a hook whose DDL must wait no longer than the migrations' (--lock-timeout, --lock-wait). */
export interface HookLimits extends MigrationLimits {
  lockWaitMs: number;
}

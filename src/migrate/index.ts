/**
 * `import { createMigrator } from 'voipdb/migrate'`: the migration engine for other code (a
 * deploy script, a service that migrates at start). The same engine as `db migrate`, without the CLI.
 */
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { type ConnectionConfig, requireConnection } from '../config/connection.js';
import type { MigrationHook } from '../engine/hooks.js';
import { down, type EngineOptions, migrate, migrationStatus, planRun, type PlanRun, type StatusRun } from '../engine/operations.js';
import type { MigrationTarget } from '../engine/plan.js';
import type { Direction, MigrationRun } from '../engine/result.js';
import type { Session } from '../engine/session.js';

export type { MigrationHook } from '../engine/hooks.js';
export type { MigrationTarget } from '../engine/plan.js';
export type { PlanRun, StatusRun, StatusEntry } from '../engine/operations.js';
export type { Direction, HookReport, MigrationOutcome, MigrationOutcomeStatus, MigrationRun } from '../engine/result.js';
export type { MigrationEvent } from '../engine/run-migration.js';
export type { NodeInfo, NodeRole } from '../database/node-role.js';
export type { ConnectionConfig } from '../config/connection.js';
export { platformHooks, rolePasswordsHook, cdrPartitionsHook } from '../platform/hooks.js';
// The errors a migration run can meet, and no others: the kernel, connection settings and
// connecting, the engine's own, and those of the platform hooks (adoption check, role
// passwords, CDR partitions). The run a failure stopped is `failedRun(error)`.
export { VoipdbError, isVoipdbError, ExitCode, type ExitCodeValue, hasCode, DatabaseError, UsageError } from '../errors.js';
export * from '../config/errors.js';
export * from '../database/connecting-errors.js';
export { NodeIsStandbyError } from '../database/errors.js';
export * from '../engine/errors.js';
export { failedRun, type FailedRunError } from '../engine/failed-run.js';
export { KamailioNotAdoptedError } from '../adopt/errors.js';
export * from '../roles/errors.js';
export * from '../voip/errors.js';

/** The migrations this package ships (migrations/ next to dist/). */
export const PACKAGE_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface MigratorOptions extends Omit<EngineOptions, 'migrationsDir'> {
  /** Default: the migrations that ship in this package. */
  migrationsDir?: string;
  /** Steps after a successful migrate; default none. `platformHooks(process.env)` is what `db migrate` runs. */
  hooks?: readonly MigrationHook[];
}

/**
 * Where to run: a postgres:// URL (no environment variable is read), a ConnectionConfig (the
 * engine connects and disconnects), or an open pg session, which is used as it is and left open
 * (it must not be inside a transaction: each migration runs in its own).
 */
export type MigratorSession = string | ConnectionConfig | pg.ClientBase;

export interface Migrator {
  /** Applies pending migrations (all, up to `to`, or the next `step`), then the hooks. */
  migrate(session: MigratorSession, target?: MigrationTarget): Promise<MigrationRun>;
  /** Reverts newest first: everything after `to` (0: all), or the newest `step`. */
  down(session: MigratorSession, target: MigrationTarget): Promise<MigrationRun>;
  /** What migrate (or down, with `direction: 'down'`) would do, with the SQL; writes nothing, takes no lock. */
  plan(session: MigratorSession, target?: MigrationTarget & { direction?: Direction }): Promise<PlanRun>;
  /** Applied migrations next to their files, and what migrate would apply toward the target. Reads only. */
  status(session: MigratorSession, target?: MigrationTarget): Promise<StatusRun>;
}

function toSession(session: MigratorSession): Session {
  if (typeof session !== 'string') return session;
  return requireConnection({ url: session, env: {}, applicationName: 'voipdb-migrate' });
}

/**
 * A migrator over one migrations folder. Every method returns a run: the node, and per migration
 * its version, name, direction, status (applied | reverted | failed | not-run) and duration. A
 * failure throws its specific error (e.g. MigrationChecksumMismatchError, MigrationFailedError,
 * NodeIsStandbyError) with the run as far as it got in `error.run`.
 */
export function createMigrator(options: MigratorOptions = {}): Migrator {
  const engine: EngineOptions = { ...options, migrationsDir: options.migrationsDir ?? PACKAGE_MIGRATIONS_DIR };
  return {
    migrate: (session, target = {}) => migrate(toSession(session), { ...engine, ...target }),
    down: (session, target) => down(toSession(session), { ...engine, ...target }),
    plan: (session, target = {}) => planRun(toSession(session), { migrationsDir: engine.migrationsDir, ...target }),
    status: (session, target = {}) => migrationStatus(toSession(session), engine.migrationsDir, target),
  };
}

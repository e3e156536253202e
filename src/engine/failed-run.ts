import { toVoipdbError, VoipdbError } from '../errors.js';
import type { MigrationRun } from './result.js';

/**
 * A failure that stopped a migration run, whichever area's error it is (a migration's own, a lost
 * connection, a standby, a hook's): the engine attaches the run as far as it got, so a caller
 * knows which migrations ran, which one failed and which were never reached. Kept apart from the
 * error classes so that they need not know the run's shape.
 */
export type FailedRunError = VoipdbError & { run?: MigrationRun };

/** The error with the run it stopped attached (`error.run`); a raw server error becomes a DatabaseError first. */
export function attachRun(e: unknown, run: MigrationRun | undefined): unknown {
  const error = toVoipdbError(e);
  if (run && error instanceof Error) (error as { run?: MigrationRun }).run = run;
  return error;
}

/** The run a failure stopped, when the engine attached one. */
export function failedRun(error: unknown): MigrationRun | undefined {
  return error instanceof VoipdbError ? (error as FailedRunError).run : undefined;
}

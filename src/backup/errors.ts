import { ExitCode, failure } from '../errors.js';

/** The failures of the backup commands (pgBackRest underneath) a user can act on. */

/** pgBackRest is not installed where a command needs it. */
export class PgbackrestMissingError extends failure('PGBACKREST_MISSING', ExitCode.notOk) {
  constructor(what: string) {
    super(
      `${what} needs pgBackRest, and no pgbackrest program was found on PATH`,
      "install Debian's pgbackrest package (PostgreSQL 18 needs pgBackRest 2.57 or newer)",
    );
  }
}

/** A pgbackrest command ended with an error; its last lines say why. */
export class PgbackrestFailedError extends failure('PGBACKREST_FAILED', ExitCode.notOk) {
  constructor(command: string, output: string, hint: string) {
    super(`pgbackrest ${command} failed: ${output}`, hint);
  }
}

/** The restore target time is not a time (ISO 8601 with a zone is asked for). */
export class RestoreTargetInvalidError extends failure('RESTORE_TARGET_INVALID', ExitCode.usage) {
  constructor(raw: string) {
    super(
      `--before must be a time with its zone, such as 2026-12-05T14:03:00Z or "2026-12-05 15:03:00+01", got "${raw}"`,
      'write the time of the mistake as the server log or the application shows it, with its zone',
    );
  }
}

/** The restored copy did not come up, or came up without reaching the target. */
export class RestoreCheckFailedError extends failure('RESTORE_CHECK_FAILED', ExitCode.notOk) {}

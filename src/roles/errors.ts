import { ExitCode, VoipdbError } from '../errors.js';

/** Setting the platform roles' passwords from their secret files. */

export class SecretFileUnreadableError extends VoipdbError {
  readonly code = 'SECRET_FILE_UNREADABLE';
  readonly exitCode = ExitCode.usage;
}

export class RoleMissingError extends VoipdbError {
  readonly code = 'ROLE_MISSING';
  readonly exitCode = ExitCode.database;
  constructor(readonly role: string) {
    super(
      `role ${role} does not exist on this server, so its password cannot be set`,
      'run `db migrate` (migration 0002 creates the platform roles) before setting passwords',
    );
  }
}

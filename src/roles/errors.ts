import { ExitCode, failure } from '../errors.js';

/** Setting the platform roles' passwords from their secret files. */

export class SecretFileUnreadableError extends failure('SECRET_FILE_UNREADABLE', ExitCode.usage) {}

export class RoleMissingError extends failure('ROLE_MISSING', ExitCode.database) {
  constructor(readonly role: string) {
    super(
      `role ${role} does not exist on this server, so its password cannot be set`,
      'run `db migrate` (migration 0002 creates the platform roles) before setting passwords',
    );
  }
}

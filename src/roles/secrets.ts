import { readFileSync } from 'node:fs';
import type { Env } from '../config/connection.js';
import { ConfigInvalidError } from '../config/errors.js';
import { SecretFileUnreadableError } from './errors.js';
import { passwordVariables, type PlatformRole } from './platform-roles.js';

/**
 * The configured password of a platform role: `VOIPDB_<ROLE>_PASSWORD`, or the contents of the
 * file named by `VOIPDB_<ROLE>_PASSWORD_FILE` (Docker/systemd secrets style; one trailing newline
 * is trimmed, as editors and `echo` add one). Undefined when neither is set: the role's password
 * is then left as it is (none, for a new role, so it cannot log in).
 */
export function readRolePassword(role: PlatformRole, env: Env): string | undefined {
  const names = passwordVariables(role);
  const value = env[names.value];
  const file = env[names.file];
  const hasValue = value !== undefined && value !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasValue && hasFile) {
    throw new ConfigInvalidError([`both ${names.value} and ${names.file} are set for role ${role}; set only one`]);
  }
  if (hasValue) return value;
  if (!hasFile) return undefined;

  let contents: string;
  try {
    contents = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new SecretFileUnreadableError(
      `cannot read the password file of role ${role} named by ${names.file} (${file}: ${reason})`,
      `make the file readable by this user, or unset ${names.file}`,
      { cause: error },
    );
  }
  const password = contents.replace(/\r?\n$/, '');
  if (password === '') {
    throw new SecretFileUnreadableError(
      `the password file of role ${role} (${names.file}=${file}) is empty`,
      `write the password into the file, or unset ${names.file} to leave the role's password unchanged`,
    );
  }
  return password;
}

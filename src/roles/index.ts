export { PLATFORM_ROLES, passwordVariables, type PlatformRole } from './platform-roles.js';
export { buildScramVerifier, parseScramVerifier, verifierMatchesPassword } from './scram.js';
export { readRolePassword } from './secrets.js';
export { syncRolePasswords, type PasswordSyncResult, type PasswordAction } from './sync-passwords.js';
export { describeRoles, summarizePrivileges, type RoleDescription } from './describe-roles.js';

/**
 * The order privileges are listed in wherever voipdb writes them (schema.sql's GRANTs, `db roles`):
 * the order of GRANT's synopsis in the PostgreSQL manual, with MAINTAIN (PostgreSQL 17+) last.
 * One list, so that the dump and the role descriptions never disagree; the generated schema.sql
 * is written in this order (`SELECT, USAGE` on a sequence).
 */
export const PRIVILEGE_ORDER: readonly string[] = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
  'USAGE',
  'CREATE',
  'CONNECT',
  'TEMPORARY',
  'EXECUTE',
  'MAINTAIN',
];

/** Where a privilege sorts ('SELECT', or 'SELECT*' when held WITH GRANT OPTION); unknown ones after every known one. */
export function privilegeRank(privilege: string): number {
  const i = PRIVILEGE_ORDER.indexOf(privilege.replace(/\*$/, ''));
  return i === -1 ? PRIVILEGE_ORDER.length : i;
}

/** Privileges in PRIVILEGE_ORDER, duplicates dropped; unknown ones last, by code point (never by locale). */
export function sortPrivileges(privileges: Iterable<string>): string[] {
  return [...new Set(privileges)].sort((a, b) => privilegeRank(a) - privilegeRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

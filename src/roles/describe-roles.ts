import type pg from 'pg';
import { readPrivilegeEntries, type PrivilegeEntry } from './privileges.js';
import { sortPrivileges } from '../sql/privilege-order.js';
import { PLATFORM_ROLES, type PlatformRole } from './platform-roles.js';
import { canReadPgAuthid } from './sync-passwords.js';

/** One platform role as `db roles` shows it. */
export interface RoleDescription {
  role: PlatformRole;
  exists: boolean;
  /** rolcanlogin: the LOGIN attribute. */
  loginAttribute: boolean;
  /** Whether a password is stored; 'unknown' when pg_authid is not readable (not a superuser). */
  password: 'set' | 'none' | 'unknown';
  passwordValidUntil: string | null;
  /** Can it log in at all: LOGIN + a password + (for the application roles) CONNECT on this database. */
  canLogin: 'yes' | 'no' | 'unknown';
  /** Why not, when canLogin is 'no' or 'unknown'. */
  loginProblems: string[];
  superuser: boolean;
  createdb: boolean;
  createrole: boolean;
  replication: boolean;
  /** search_path set for the role in this database (or for the role everywhere), else null. */
  searchPath: string | null;
  /** e.g. "SELECT,INSERT,UPDATE,DELETE on 30 tables in kamailio". */
  privileges: string[];
}

const READ_ROLES = `
SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication,
       to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS valid_until,
       has_database_privilege(r.oid, current_database(), 'CONNECT') AS can_connect,
       (SELECT array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
         WHERE s.setrole = r.oid AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())) AS db_settings,
       (SELECT array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
         WHERE s.setrole = r.oid AND s.setdatabase = 0) AS role_settings
  FROM pg_roles r WHERE r.rolname = ANY($1::text[])`;

export async function describeRoles(client: pg.ClientBase): Promise<RoleDescription[]> {
  const { rows } = await client.query<{
    rolname: string;
    rolcanlogin: boolean;
    rolsuper: boolean;
    rolcreatedb: boolean;
    rolcreaterole: boolean;
    rolreplication: boolean;
    valid_until: string | null;
    can_connect: boolean;
    db_settings: string | null;
    role_settings: string | null;
  }>(READ_ROLES, [[...PLATFORM_ROLES]]);
  const passwords = await readStoredPasswordPresence(client);
  const entries = await readPrivilegeEntries(client);

  return PLATFORM_ROLES.map((role): RoleDescription => {
    const row = rows.find((r) => r.rolname === role);
    if (!row) {
      return {
        role,
        exists: false,
        loginAttribute: false,
        password: 'none',
        passwordValidUntil: null,
        canLogin: 'no',
        loginProblems: ['role does not exist (run `db migrate`)'],
        superuser: false,
        createdb: false,
        createrole: false,
        replication: false,
        searchPath: null,
        privileges: [],
      };
    }
    const password = passwords === undefined ? 'unknown' : passwords.has(role) ? 'set' : 'none';
    const problems: string[] = [];
    if (!row.rolcanlogin) problems.push('no LOGIN attribute');
    if (password === 'none') problems.push(`no password (set VOIPDB_${role.toUpperCase()}_PASSWORD and run \`db migrate\`)`);
    if (row.valid_until !== null && Date.parse(row.valid_until) < Date.now()) problems.push(`password expired at ${row.valid_until}`);
    // Physical replication does not connect to a database; the application roles must.
    if (role !== 'replicator' && !row.can_connect) problems.push('no CONNECT on this database');
    if (role === 'replicator' && !row.rolreplication) problems.push('no REPLICATION attribute');
    let canLogin: RoleDescription['canLogin'] = problems.length > 0 ? 'no' : 'yes';
    if (canLogin === 'yes' && password === 'unknown') {
      canLogin = 'unknown';
      problems.push('whether it has a password is unknown: pg_authid is readable by superusers only');
    }
    return {
      role,
      exists: true,
      loginAttribute: row.rolcanlogin,
      password,
      passwordValidUntil: row.valid_until,
      canLogin,
      loginProblems: problems,
      superuser: row.rolsuper,
      createdb: row.rolcreatedb,
      createrole: row.rolcreaterole,
      replication: row.rolreplication,
      searchPath: searchPathOf(row.db_settings) ?? searchPathOf(row.role_settings),
      privileges: summarizePrivileges(entries.filter((e) => e.grantee === role)),
    };
  });
}

/** Names of the platform roles that have a stored password; undefined when pg_authid is unreadable. */
async function readStoredPasswordPresence(client: pg.ClientBase): Promise<Set<string> | undefined> {
  if (!(await canReadPgAuthid(client))) return undefined;
  const { rows } = await client.query<{ rolname: string }>(
    'SELECT rolname FROM pg_authid WHERE rolname = ANY($1::text[]) AND rolpassword IS NOT NULL',
    [[...PLATFORM_ROLES]],
  );
  return new Set(rows.map((r) => r.rolname));
}

function searchPathOf(settings: string | null): string | null {
  const match = /(?:^|,)search_path=([^,]*(?:,\s[^,=]*)*)/.exec(settings ?? '');
  return match ? match[1]! : null;
}

/** Groups a role's privilege entries: "SELECT,INSERT on 4 tables in kamailio", "CONNECT on the database". */
export function summarizePrivileges(entries: PrivilegeEntry[]): string[] {
  const groups = new Map<string, number>();
  const plural = (kind: string, n: number): string => (n === 1 ? kind : kind.endsWith('s') ? kind : `${kind}s`);
  const lines: string[] = [];
  for (const e of entries) {
    if (e.kind === 'role') {
      lines.push(e.privileges.join(', '));
      continue;
    }
    const privs = sortPrivileges(e.privileges).join(',');
    if (e.kind === 'database') {
      lines.push(`${privs} on the database`);
      continue;
    }
    if (e.kind === 'schema') {
      lines.push(`${privs} on schema ${e.object}`);
      continue;
    }
    const schema = e.object.split('.')[0]!;
    const key = `${privs}\u0000${e.kind}\u0000${schema}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  for (const [key, count] of groups) {
    const [privs, kind, schema] = key.split('\u0000') as [string, string, string];
    lines.push(`${privs} on ${count} ${plural(kind, count)} in ${schema}`);
  }
  return lines.sort();
}

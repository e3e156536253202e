import type pg from 'pg';
import { PLATFORM_ROLES } from './platform-roles.js';

/**
 * Who may do what in voipdb, as sorted text lines, one per (object, grantee):
 *
 *   database: kamailio CONNECT
 *   schema kamailio: voipadmin USAGE
 *   table kamailio.location: kamailio DELETE,INSERT,SELECT,UPDATE
 *   sequence kamailio.location_id_seq: kamailio SELECT,USAGE
 *   column kamailio.subscriber.ha1: voipadmin SELECT
 *   function voip.sync_subscriber(): PUBLIC EXECUTE
 *   role replicator: member of pg_monitor
 *
 * Grantees are the platform roles and PUBLIC; the owner (the migrating user) is left out because
 * it differs between servers. An object without an ACL shows its built-in defaults (acldefault),
 * so PUBLIC's implicit EXECUTE on a new function is visible. `WITH GRANT OPTION` shows as `PRIV*`.
 * Partitions are left out: access goes through the partitioned table, and their names depend on
 * dates. The lines are identical on PostgreSQL 15 and 18 as long as no migration grants ALL
 * (17+ would add MAINTAIN). `db check` and test/roles/privileges.test.ts compare them with
 * test/expected/privileges.txt.
 */
export const PRIVILEGE_SCHEMAS = ['kamailio', 'voip', 'public'] as const;

export interface PrivilegeEntry {
  /** 'database' | 'schema' | 'table' | 'view' | 'sequence' | 'column' | 'function' | 'procedure' | ... */
  kind: string;
  /** Schema-qualified name; '' for the database (its name differs per server). */
  object: string;
  grantee: string;
  privileges: string[];
}

const READ_ACLS = `
WITH ours AS (
  SELECT oid, rolname FROM pg_roles WHERE rolname = ANY($1::text[])
  UNION ALL SELECT 0::oid, 'PUBLIC'
),
acls AS (
  SELECT 'database'::text AS kind, ''::text AS object, coalesce(d.datacl, acldefault('d', d.datdba)) AS acl
    FROM pg_database d WHERE d.datname = current_database()
  UNION ALL
  SELECT 'schema', n.nspname::text, coalesce(n.nspacl, acldefault('n', n.nspowner))
    FROM pg_namespace n WHERE n.nspname = ANY($2::text[])
  UNION ALL
  SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                        WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'sequence' END,
         n.nspname || '.' || c.relname,
         coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT c.relispartition
  UNION ALL
  SELECT 'column', n.nspname || '.' || c.relname || '.' || a.attname, a.attacl
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY($2::text[]) AND a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
     AND NOT c.relispartition
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
         n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
         coalesce(p.proacl, acldefault('f', p.proowner))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = ANY($2::text[])
)
SELECT a.kind, a.object, o.rolname AS grantee,
       array_agg(x.privilege_type || CASE WHEN x.is_grantable THEN '*' ELSE '' END ORDER BY x.privilege_type) AS privileges
  FROM acls a
 CROSS JOIN LATERAL aclexplode(a.acl) x
  JOIN ours o ON o.oid = x.grantee
 GROUP BY a.kind, a.object, o.rolname`;

const READ_MEMBERSHIPS = `
SELECT m.rolname AS member, r.rolname AS role
  FROM pg_auth_members am JOIN pg_roles m ON m.oid = am.member JOIN pg_roles r ON r.oid = am.roleid
 WHERE m.rolname = ANY($1::text[])`;

export async function readPrivilegeEntries(client: pg.ClientBase): Promise<PrivilegeEntry[]> {
  const roles = [...PLATFORM_ROLES];
  const { rows } = await client.query<{ kind: string; object: string; grantee: string; privileges: string[] }>(READ_ACLS, [
    roles,
    [...PRIVILEGE_SCHEMAS],
  ]);
  const { rows: members } = await client.query<{ member: string; role: string }>(READ_MEMBERSHIPS, [roles]);
  return [
    ...rows.map((r) => ({ kind: r.kind, object: r.object, grantee: r.grantee, privileges: [...r.privileges].sort() })),
    ...members.map((m) => ({ kind: 'role', object: m.member, grantee: m.member, privileges: [`member of ${m.role}`] })),
  ];
}

export function renderPrivilegeLine(entry: PrivilegeEntry): string {
  if (entry.kind === 'role') return `role ${entry.object}: ${entry.privileges.join(', ')}`;
  const target = entry.kind === 'database' ? 'database' : `${entry.kind} ${entry.object}`;
  return `${target}: ${entry.grantee} ${entry.privileges.join(',')}`;
}

/** The privilege lines, sorted by code point so that the order never depends on a collation. */
export async function readPrivileges(client: pg.ClientBase): Promise<string[]> {
  const lines = (await readPrivilegeEntries(client)).map(renderPrivilegeLine);
  return lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

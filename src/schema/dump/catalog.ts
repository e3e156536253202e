import type pg from 'pg';
import * as q from './queries.js';
import { withoutMaintainedPartitions } from './scope.js';

/** Settings that change how the catalog functions render text; pinned for every dump. */
export const DUMP_SESSION_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['search_path', 'pg_catalog'],
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, YMD'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '3'],
];

export interface SchemaRow {
  name: string;
  ident: string;
}
export interface ExtensionRow {
  name: string;
  schema: string;
}
export interface EnumRow {
  name: string;
  labels: string[];
}
export interface DomainRow {
  name: string;
  base_type: string;
  collation: string | null;
  default_expr: string | null;
  not_null: boolean;
  checks: string[];
}
export interface CompositeRow {
  name: string;
  attributes: string[];
}
export interface SequenceRow {
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  owned_by: string | null;
}
export interface FunctionRow {
  signature: string;
  kind: string;
  definition: string;
  late: boolean;
}
export interface TableRow {
  oid: string;
  name: string;
  kind: 'r' | 'p';
  persistence: string;
  is_partition: boolean;
  partition_key: string | null;
  partition_bound: string | null;
  parent: string | null;
  options: string[] | null;
  replica_identity: string;
  replica_index: string | null;
  row_security: boolean;
  force_row_security: boolean;
}
export interface ColumnRow {
  table_oid: string;
  name: string;
  type: string;
  collation: string | null;
  default_expr: string | null;
  not_null: boolean;
  identity: string;
  generated: string;
  stattarget: number;
  storage: string | null;
  identity_sequence: string | null;
  identity_type: string | null;
  seq_start: string | null;
  seq_increment: string | null;
  seq_min: string | null;
  seq_max: string | null;
  seq_cache: string | null;
  seq_cycle: boolean | null;
}
export interface ConstraintRow {
  table_oid: string;
  table_name: string;
  name: string;
  type: string;
  definition: string;
  validated: boolean;
}
export interface IndexRow {
  table_name: string;
  name: string;
  definition: string;
  options: string[] | null;
}
export interface TriggerRow {
  table_name: string;
  name: string;
  definition: string;
  enabled: string;
}
export interface PolicyRow {
  table_name: string;
  name: string;
  permissive: boolean;
  command: string;
  roles: string[];
  using_expr: string | null;
  check_expr: string | null;
}
export interface ViewRow {
  oid: string;
  name: string;
  kind: 'v' | 'm';
  definition: string;
  options: string[] | null;
  depends_on: string[];
}
export interface CommentRow {
  type: string;
  identity: string;
  text: string;
  on_domain: boolean;
}
export interface PrivilegeRow {
  ord: number;
  kind: string;
  target: string;
  action: 'grant' | 'revoke';
  grantee: string;
  privilege: string;
  grantable: boolean;
}
export interface ColumnPrivilegeRow {
  target: string;
  column_name: string;
  grantee: string;
  privilege: string;
  grantable: boolean;
}
export interface DatabasePrivilegeRow {
  action: 'grant' | 'revoke';
  grantee: string;
  privilege: string;
  grantable: boolean;
}
export interface DefaultPrivilegeRow {
  for_role: string | null;
  schema: string | null;
  objects: string;
  action: 'grant' | 'revoke';
  grantee: string;
  privilege: string;
  grantable: boolean;
}
export interface RoleRow {
  literal: string;
  ident: string;
}
export interface DatabaseSettingRow {
  role: string | null;
  name: string;
  value: string;
}
export interface VersionRow {
  table_name: string;
  table_version: string;
}

/** Everything the dump renders, read in one snapshot. */
export interface Catalog {
  schemas: SchemaRow[];
  extensions: ExtensionRow[];
  enums: EnumRow[];
  domains: DomainRow[];
  composites: CompositeRow[];
  sequences: SequenceRow[];
  functions: FunctionRow[];
  tables: TableRow[];
  columns: ColumnRow[];
  constraints: ConstraintRow[];
  indexes: IndexRow[];
  triggers: TriggerRow[];
  policies: PolicyRow[];
  views: ViewRow[];
  comments: CommentRow[];
  privileges: PrivilegeRow[];
  columnPrivileges: ColumnPrivilegeRow[];
  databasePrivileges: DatabasePrivilegeRow[];
  defaultPrivileges: DefaultPrivilegeRow[];
  databaseSettings: DatabaseSettingRow[];
  roles: RoleRow[];
  kamailioVersion: VersionRow[] | undefined;
}

/**
 * Reads the catalog inside a read-only repeatable-read transaction (one consistent snapshot)
 * with the rendering settings pinned by SET LOCAL, so the caller's session is left as it was.
 */
export async function readCatalog(client: pg.Client): Promise<Catalog> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    for (const [name, value] of DUMP_SESSION_SETTINGS) {
      await client.query('SELECT set_config($1, $2, true)', [name, value]);
    }
    const rows = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> =>
      (await client.query<T>(sql, params)).rows;
    const schemas = await rows<SchemaRow>(q.SCHEMAS);
    const names = [schemas.map((s) => s.name)];
    const tables = await rows<TableRow>(q.TABLES, names);
    const tableOids = [tables.map((t) => t.oid)];
    const privileges = await rows<PrivilegeRow>(q.OBJECT_PRIVILEGES, names);
    const columnPrivileges = await rows<ColumnPrivilegeRow>(q.COLUMN_PRIVILEGES, names);
    const databasePrivileges = await rows<DatabasePrivilegeRow>(q.DATABASE_PRIVILEGES);
    const defaultPrivileges = await rows<DefaultPrivilegeRow>(q.DEFAULT_PRIVILEGES, names);
    const policies = await rows<PolicyRow>(q.POLICIES, names);
    const grantees = new Set<string>(
      [...privileges, ...columnPrivileges, ...databasePrivileges, ...defaultPrivileges].map((p) => p.grantee),
    );
    for (const d of defaultPrivileges) if (d.for_role) grantees.add(d.for_role);
    for (const p of policies) for (const r of p.roles) grantees.add(r);
    const databaseSettings = await rows<DatabaseSettingRow>(q.DATABASE_SETTINGS);
    for (const s of databaseSettings) if (s.role) grantees.add(s.role);
    const hasVersion = (await rows<{ present: boolean }>(q.HAS_KAMAILIO_VERSION))[0]?.present === true;
    const catalog: Catalog = {
      schemas,
      extensions: await rows<ExtensionRow>(q.EXTENSIONS),
      enums: await rows<EnumRow>(q.ENUMS, names),
      domains: await rows<DomainRow>(q.DOMAINS, names),
      composites: await rows<CompositeRow>(q.COMPOSITES, names),
      sequences: await rows<SequenceRow>(q.SEQUENCES, names),
      functions: await rows<FunctionRow>(q.FUNCTIONS, names),
      tables,
      columns: await rows<ColumnRow>(q.COLUMNS, tableOids),
      constraints: await rows<ConstraintRow>(q.CONSTRAINTS, tableOids),
      indexes: await rows<IndexRow>(q.INDEXES, tableOids),
      triggers: await rows<TriggerRow>(q.TRIGGERS, names),
      policies,
      views: await rows<ViewRow>(q.VIEWS, names),
      comments: await rows<CommentRow>(q.COMMENTS, names),
      privileges,
      columnPrivileges,
      databasePrivileges,
      defaultPrivileges,
      databaseSettings,
      roles: await rows<RoleRow>(q.GRANTED_ROLES, [[...grantees]]),
      kamailioVersion: hasVersion && names[0]!.includes('kamailio') ? await rows<VersionRow>(q.KAMAILIO_VERSION_ROWS) : undefined,
    };
    await client.query('COMMIT');
    return withoutMaintainedPartitions(catalog);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The rows the catalog queries (queries.ts) return, and the catalog they make together: plain
 * types, so that what reads a catalog (render, scope, privileges-sql) need not import the reader.
 */

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

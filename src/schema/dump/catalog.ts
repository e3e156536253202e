import type pg from 'pg';
import type {
  SchemaRow,
  ExtensionRow,
  EnumRow,
  DomainRow,
  CompositeRow,
  SequenceRow,
  FunctionRow,
  TableRow,
  ColumnRow,
  ConstraintRow,
  IndexRow,
  TriggerRow,
  PolicyRow,
  ViewRow,
  CommentRow,
  PrivilegeRow,
  ColumnPrivilegeRow,
  DatabasePrivilegeRow,
  DefaultPrivilegeRow,
  RoleRow,
  DatabaseSettingRow,
  VersionRow,
  Catalog,
} from './catalog-rows.js';
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

import type pg from 'pg';

/**
 * The shape of Kamailio's tables in one schema, as far as Kamailio and `db check` depend on it:
 * columns (order, type, NOT NULL, default), constraints, plain indexes, the serial sequence of
 * `id`, the owner and the grants; and the `version` rows. Read with search_path set to that
 * schema (transaction-local), so defaults print unqualified and two schemas compare as text.
 */
export interface ColumnShape {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
}

export interface TableShape {
  name: string;
  owner: string;
  columns: ColumnShape[];
  constraints: Array<{ name: string; type: string; definition: string }>;
  /** Indexes that back no constraint. */
  indexes: Array<{ name: string; definition: string }>;
  serialSequence: string | null;
  /** Sequences owned by a column of this table (they move with it). */
  ownedSequences: string[];
  /** Roles (or PUBLIC) holding privileges on the table or its sequences, the owner left out. */
  grantees: string[];
}

export interface SchemaShape {
  schema: string;
  tables: Map<string, TableShape>;
  /** The `version` rows, when the schema has a Kamailio version table. */
  versions: Map<string, number>;
}

// pg_depend is read through its (refclassid, refobjid) index: "owned by a column of this table".
const TABLES = `
WITH tables AS (
  SELECT c.oid, c.relname, c.relowner FROM pg_class c
   WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
),
owned AS (
  SELECT t.oid AS table_oid, s.oid, s.relname, s.relowner, s.relacl, a.attname
    FROM tables t
    JOIN pg_depend dp ON dp.refclassid = 'pg_class'::regclass AND dp.refobjid = t.oid AND dp.classid = 'pg_class'::regclass AND dp.deptype IN ('a', 'i')
    JOIN pg_class s ON s.oid = dp.objid AND s.relkind = 'S'
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = dp.refobjsubid
),
grants AS (
  SELECT t.oid AS table_oid, e.grantee FROM tables t JOIN pg_class c ON c.oid = t.oid, LATERAL aclexplode(c.relacl) e WHERE e.grantee <> c.relowner
  UNION
  SELECT o.table_oid, e.grantee FROM owned o, LATERAL aclexplode(o.relacl) e WHERE e.grantee <> o.relowner
)
SELECT t.relname AS name, pg_get_userbyid(t.relowner) AS owner,
  (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull,
                                     'default', pg_get_expr(d.adbin, d.adrelid)) ORDER BY a.attnum), '[]')
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT coalesce(json_agg(json_build_object('name', k.conname, 'type', k.contype, 'definition', pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
     FROM pg_constraint k WHERE k.conrelid = t.oid AND k.contype <> 'n') AS constraints,
  (SELECT coalesce(json_agg(json_build_object('name', i.relname, 'definition', pg_get_indexdef(x.indexrelid)) ORDER BY i.relname), '[]')
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indrelid = t.oid AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.conrelid = t.oid)) AS indexes,
  (SELECT o.relname FROM owned o WHERE o.table_oid = t.oid AND o.attname = 'id' LIMIT 1) AS serial_sequence,
  (SELECT coalesce(json_agg(o.relname ORDER BY o.relname), '[]') FROM owned o WHERE o.table_oid = t.oid) AS owned_sequences,
  (SELECT coalesce(json_agg(CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END), '[]') FROM grants g WHERE g.table_oid = t.oid) AS grantees
FROM tables t
ORDER BY t.relname COLLATE "C"`;

/** Reads the shape of every table of `schema` (inside the caller's transaction; search_path is restored). */
export async function readSchemaShape(client: pg.ClientBase, schema: string): Promise<SchemaShape> {
  const { rows: q } = await client.query<{ quoted: string; saved: string }>(
    "SELECT quote_ident($1) AS quoted, current_setting('search_path') AS saved, set_config('search_path', quote_ident($1), true)",
    [schema],
  );
  const { quoted, saved } = q[0]!;
  try {
    const { rows } = await client.query<{
      name: string;
      owner: string;
      columns: ColumnShape[];
      constraints: TableShape['constraints'];
      indexes: TableShape['indexes'];
      serial_sequence: string | null;
      owned_sequences: string[];
      grantees: string[];
    }>(TABLES, [quoted]);
    // pg_get_indexdef always qualifies the table (a temporary schema as pg_temp); strip exactly this schema's qualifier.
    const qualifier = schema.startsWith('pg_temp_') ? ' ON pg_temp.' : ` ON ${quoted}.`;
    const tables = new Map<string, TableShape>();
    for (const r of rows) {
      tables.set(r.name, {
        name: r.name,
        owner: r.owner,
        columns: r.columns,
        constraints: r.constraints,
        indexes: r.indexes.map((i) => ({ name: i.name, definition: i.definition.split(qualifier).join(' ON ') })),
        serialSequence: r.serial_sequence,
        ownedSequences: r.owned_sequences,
        grantees: r.grantees.sort(),
      });
    }
    const versions = new Map<string, number>();
    const versionTable = tables.get('version');
    if (versionTable?.columns.some((c) => c.name === 'table_name') && versionTable.columns.some((c) => c.name === 'table_version')) {
      const { rows: vr } = await client.query<{ table_name: string; table_version: number }>(
        `SELECT table_name, table_version FROM ${quoted}.version`,
      );
      for (const v of vr) versions.set(v.table_name, Number(v.table_version));
    }
    return { schema, tables, versions };
  } finally {
    await client.query("SELECT set_config('search_path', $1, true)", [saved]);
  }
}

// Reserved words that could name a schema or table here; anything else lower-case and simple stays unquoted (readable plans).
const RESERVED = new Set(['user', 'table', 'order', 'group', 'select', 'from', 'where', 'all', 'default', 'check', 'column']);

/** An identifier for generated SQL: bare when plainly safe, else double-quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

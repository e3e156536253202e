import type pg from 'pg';

/**
 * A comparable picture of the tables of one schema, as the Kamailio modules depend on it:
 * columns (order, type, NOT NULL, default, identity), constraints (name, kind, definition),
 * indexes (name, definition, unique/primary, backing constraint), the serial sequence of each
 * `id` and its parameters, every sequence of the schema, and the `version` rows.
 * Read with search_path set to the schema, so that defaults and definitions print unqualified;
 * whatever still names the schema is stripped (normalisation for schema qualification only).
 */
export interface TableCatalog {
  columns: Array<{ name: string; type: string; notNull: boolean; default: string | null; identity: string }>;
  constraints: Array<{ name: string; type: string; definition: string }>;
  indexes: Array<{ name: string; definition: string; unique: boolean; primary: boolean; constraint: string | null }>;
  serialSequence: string | null;
}
export interface SchemaCatalog {
  tables: Record<string, TableCatalog>;
  sequences: Array<{
    name: string;
    type: string;
    start: string;
    increment: string;
    min: string;
    max: string;
    cache: string;
    cycle: boolean;
    ownedBy: string | null;
  }>;
  versionRows: Array<{ table_name: string; table_version: number }>;
  otherRelations: Array<{ name: string; kind: string }>;
}

const TABLES = `
SELECT c.relname AS name,
  (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull,
                                     'default', pg_get_expr(d.adbin, d.adrelid), 'identity', a.attidentity) ORDER BY a.attnum)
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT coalesce(json_agg(json_build_object('name', k.conname, 'type', k.contype, 'definition', pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
     FROM pg_constraint k WHERE k.conrelid = c.oid) AS constraints,
  (SELECT coalesce(json_agg(json_build_object('name', i.relname, 'definition', pg_get_indexdef(x.indexrelid), 'unique', x.indisunique,
                                              'primary', x.indisprimary, 'constraint', k.conname) ORDER BY i.relname), '[]')
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = c.oid
    WHERE x.indrelid = c.oid) AS indexes,
  pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), 'id') AS serial_sequence
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r'
ORDER BY c.relname`;

const SEQUENCES = `
SELECT c.relname AS name, format_type(s.seqtypid, NULL) AS type, s.seqstart::text AS start, s.seqincrement::text AS increment,
       s.seqmin::text AS min, s.seqmax::text AS max, s.seqcache::text AS cache, s.seqcycle AS cycle,
       (SELECT t.relname || '.' || a.attname FROM pg_depend d
          JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')) AS owned_by
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE n.nspname = current_schema()
ORDER BY c.relname`;

const OTHER_RELATIONS = `
SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind NOT IN ('r', 'i', 'S')
ORDER BY 1`;

export async function readSchemaCatalog(client: pg.ClientBase, schema: string): Promise<SchemaCatalog> {
  await client.query(`SELECT set_config('search_path', $1, false)`, [schema]);
  const unqualify = (text: string | null): string | null => (text === null ? null : text.split(`${schema}.`).join(''));
  const { rows } = await client.query<{
    name: string;
    columns: TableCatalog['columns'];
    constraints: TableCatalog['constraints'];
    indexes: TableCatalog['indexes'];
    serial_sequence: string | null;
  }>(TABLES);
  const tables: Record<string, TableCatalog> = {};
  for (const r of rows) {
    tables[r.name] = {
      columns: r.columns.map((c) => ({ ...c, default: unqualify(c.default) })),
      constraints: r.constraints.map((c) => ({ ...c, definition: unqualify(c.definition)! })),
      indexes: r.indexes.map((i) => ({ ...i, definition: unqualify(i.definition)! })),
      serialSequence: unqualify(r.serial_sequence),
    };
  }
  const sequences = (await client.query<SchemaCatalog['sequences'][number] & { owned_by: string | null }>(SEQUENCES)).rows.map(
    ({ owned_by, ...s }) => ({ ...s, ownedBy: owned_by }),
  );
  const versionRows = (
    await client.query<{ table_name: string; table_version: number }>(
      'SELECT table_name, table_version FROM version ORDER BY table_name COLLATE "C"',
    )
  ).rows;
  const otherRelations = (await client.query<{ name: string; kind: string }>(OTHER_RELATIONS)).rows;
  return { tables, sequences, versionRows, otherRelations };
}

import type pg from 'pg';
import { parseStatements } from '../sql/statements.js';
import { readSchemaShape, type SchemaShape } from './shape.js';

/**
 * What migration 0003 builds, read from the server itself rather than restated here: the file
 * is run into this session's temporary schema inside a savepoint that is rolled back, its
 * shape read with the same catalog query as the database being adopted, and nothing remains.
 */
export async function readReferenceShape(client: pg.ClientBase, migration0003Sql: string): Promise<SchemaShape> {
  await client.query('SAVEPOINT voipdb_adopt_reference');
  try {
    // Every object of 0003 is qualified `kamailio.`: pg_temp takes its place.
    await client.query(migration0003Sql.replace(/\bkamailio\./g, 'pg_temp.'));
    const { rows } = await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace WHERE oid = pg_my_temp_schema()');
    const shape = await readSchemaShape(client, rows[0]!.name);
    return { ...shape, schema: 'kamailio' };
  } finally {
    await client.query('ROLLBACK TO SAVEPOINT voipdb_adopt_reference');
    await client.query('RELEASE SAVEPOINT voipdb_adopt_reference');
  }
}

/**
 * The statements of migration 0003 that create one table and its indexes, as written in the
 * file, keyed by table name (its INSERT of the version rows is left out: db adopt sets those
 * row by row). Split with PostgreSQL's grammar.
 */
export async function creationStatementsByTable(migration0003Sql: string): Promise<Map<string, string[]>> {
  const byTable = new Map<string, string[]>();
  for (const statement of await parseStatements(migration0003Sql)) {
    const node = statement.node as {
      CreateStmt?: { relation?: { relname?: string } };
      IndexStmt?: { relation?: { relname?: string } };
    };
    const table = node.CreateStmt?.relation?.relname ?? node.IndexStmt?.relation?.relname;
    if (!table) continue;
    const text = statement.text.replace(/^(\s*--[^\n]*\n)+/, '').trim();
    byTable.set(table, [...(byTable.get(table) ?? []), `${text};`]);
  }
  return byTable;
}

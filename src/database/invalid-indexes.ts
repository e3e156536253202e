import type pg from 'pg';

/** The schemas voipdb's migrations build; `db doctor` and `db check` report invalid indexes there. */
export const MANAGED_SCHEMAS = ['kamailio', 'voip'];

/** An index a failed or killed CREATE INDEX CONCURRENTLY left behind: not used by queries, maybe still updated. */
export interface InvalidIndex {
  schema: string;
  name: string;
  table: string;
  /** schema.name, quoted where needed, ready to put in DROP/REINDEX. */
  qualified: string;
}

/**
 * Invalid indexes in name order: all of them, those in `where.schemas`, or the one named
 * `where.name` on `where.table` (as to_regclass() reads it). One query for every caller.
 */
async function queryInvalidIndexes(
  client: pg.ClientBase,
  where: { schemas?: string[]; table?: string; name?: string },
): Promise<InvalidIndex[]> {
  const { rows } = await client.query<InvalidIndex>(
    `SELECT n.nspname AS schema, c.relname AS name, t.relname AS table, format('%I.%I', n.nspname, c.relname) AS qualified
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid
        AND ($1::text[] IS NULL OR n.nspname = ANY ($1::text[]))
        AND ($2::text IS NULL OR (i.indrelid = to_regclass($2) AND c.relname = $3))
      ORDER BY n.nspname, c.relname`,
    [where.schemas ?? null, where.table ?? null, where.name ?? null],
  );
  return rows;
}

/** Invalid indexes, optionally only in the given schemas, in name order. */
export function readInvalidIndexes(client: pg.ClientBase, schemas?: string[]): Promise<InvalidIndex[]> {
  return queryInvalidIndexes(client, schemas ? { schemas } : {});
}

/** The index `name` on `table` (as to_regclass() reads it) if it exists and is invalid. */
export async function invalidIndexOn(client: pg.ClientBase, table: string, name: string): Promise<InvalidIndex | undefined> {
  return (await queryInvalidIndexes(client, { table, name }))[0];
}

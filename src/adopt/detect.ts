import type pg from 'pg';
import { historyTableExists } from '../engine/history.js';
import { KamailioNotAdoptedError } from './errors.js';
import { KAMAILIO_TABLE_NAMES } from '../kamailio/table-names.js';

/** Kamailio tables found outside schema `kamailio`, grouped by schema. */
export interface ForeignKamailioSchema {
  schema: string;
  tables: string[];
}

export interface KamailioLayout {
  /** Rows in voipdb's history (0 when the history table does not exist). */
  historyRows: number;
  /** How many of them were adopted rather than applied. */
  adoptedRows: number;
  /** Schemas other than `kamailio` that hold a Kamailio database (a `version` or `subscriber` table of Kamailio's shape). */
  foreign: ForeignKamailioSchema[];
}

// A schema counts as a Kamailio database when it has Kamailio's `version` table (table_name,
// table_version) or its `subscriber` table (username, domain, ha1): a lone table that merely
// shares a name (`domain`, `address`) does not make one. One round trip.
const FIND_FOREIGN = `
WITH candidates AS (
  SELECT n.nspname AS schema, c.relname AS name, c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
     AND n.nspname NOT IN ('kamailio', 'voipdb_meta', 'information_schema') AND n.nspname !~ '^pg_'
),
marked AS (
  SELECT DISTINCT k.schema FROM candidates k
   WHERE (k.name = 'version' AND 2 = (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = k.oid AND NOT a.attisdropped
                                        AND a.attname IN ('table_name', 'table_version')))
      OR (k.name = 'subscriber' AND 3 = (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = k.oid AND NOT a.attisdropped
                                        AND a.attname IN ('username', 'domain', 'ha1')))
)
SELECT k.schema, array_agg(k.name::text ORDER BY k.name COLLATE "C") AS tables
  FROM candidates k JOIN marked m USING (schema)
 GROUP BY k.schema ORDER BY k.schema COLLATE "C"`;

/** Where Kamailio's tables are, and whether voipdb already manages this database. Reads only. */
export async function readKamailioLayout(client: pg.ClientBase): Promise<KamailioLayout> {
  let historyRows = 0;
  let adoptedRows = 0;
  if (await historyTableExists(client)) {
    // to_jsonb: the `adopted` column exists only in history tables made or touched by `db adopt`.
    const { rows } = await client.query<{ total: string; adopted: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE (to_jsonb(m) ->> 'adopted')::boolean) AS adopted FROM voipdb_meta.migrations m`,
    );
    historyRows = Number(rows[0]!.total);
    adoptedRows = Number(rows[0]!.adopted);
  }
  return { historyRows, adoptedRows, foreign: await findForeignKamailio(client) };
}

/**
 * Refuses (KamailioNotAdoptedError) when the database holds a Kamailio database outside schema
 * `kamailio` and voipdb has no history in it: `db migrate` would otherwise build a second, empty
 * kamailio schema, and the role's search_path would send Kamailio to it. Called before anything
 * is written by `db migrate`, `db up` and `db check --url`. A database with history cannot be
 * refused, so on every deploy after the first only the history is read: the catalog scan, the
 * slowest query of a `db migrate` with nothing pending in a fresh session, is left out.
 */
export async function refuseUnadoptedKamailio(client: pg.ClientBase, action = 'migrate'): Promise<void> {
  if ((await historyTableExists(client)) && (await client.query('SELECT 1 FROM voipdb_meta.migrations LIMIT 1')).rowCount! > 0) return;
  const foreign = await findForeignKamailio(client);
  if (foreign.length > 0) throw new KamailioNotAdoptedError(action, foreign);
}

async function findForeignKamailio(client: pg.ClientBase): Promise<ForeignKamailioSchema[]> {
  return (await client.query<ForeignKamailioSchema>(FIND_FOREIGN, [[...KAMAILIO_TABLE_NAMES]])).rows;
}

import { promises as fs } from 'node:fs';
import type pg from 'pg';
import { ingestCdrs } from '../client/cdr.js';
import { createDb } from '../client/create-db.js';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { withConnection } from '../database/connect.js';
import { forkPointOf, lsnToBytes, readPrimaryTimeline, readTimelineHistory } from '../database/timeline.js';
import type { OsUser } from '../local/cluster.js';
import { cdrRowFromRecord } from './salvage-cdr.js';
import { SalvageFailedError, SalvageUndeterminedError } from './errors.js';
import { startPrivately } from './private-server.js';
import { readDataDirTimeline } from './timeline.js';
import { commitsAfter } from './wal-commits.js';

/**
 * What only the old primary has, found before `db rejoin` changes anything:
 * 1. the fork point: where the new primary's timeline history says the old primary's timeline
 *    was left;
 * 2. the transactions the old primary committed after it, read from its own WAL files
 *    (wal-commits.ts) — nothing is started when there are none;
 * 3. the rows those transactions wrote (xmin one of them), read from the old data directory
 *    started privately (private-server.ts): CDRs go to the new primary through the client's
 *    idempotent ingest (the (uuid, start_stamp) key makes a CDR already there a no-op), every
 *    row is written to a JSON-lines file, and each table is counted.
 *
 * Limits: rows DELETEd after the fork leave nothing to find (the old row is dead on the old
 * primary and still live on the new one); an UPDATE shows as the new version only; a row
 * written after the fork and frozen since cannot be told from an older one with the same xid
 * four billion transactions ago. Catalog changes show as pg_class rows (a table created or
 * altered after the fork).
 */

export interface SalvageTable {
  database: string;
  table: string;
  rows: number;
}

export interface SalvageResult {
  oldTimeline: number | null;
  newTimeline: number;
  /** Null when the old primary never left the new primary's timeline (nothing can have diverged). */
  forkLsn: string | null;
  walEnd: string | null;
  /** Transactions the old primary committed after the fork. */
  transactions: number;
  tables: SalvageTable[];
  cdrs: { found: number; inserted: number; alreadyThere: number };
  /** The JSON-lines file with every row (null when there were none). */
  file: string | null;
}

export const CDR_TABLE = 'voip.cdr';

/**
 * Steps 1 and 2, reading files and the new primary only (nothing is started or changed): the
 * fork point and the transactions after it. Throws SalvageUndeterminedError when it cannot tell.
 */
export async function findDivergence(options: {
  dataDir: string;
  primary: ConnectionConfig;
  step: (message: string) => void;
}): Promise<Divergence> {
  const where = describeConnection(options.primary);
  const { newTimeline, history } = await withConnection(options.primary, async (client) => {
    const tli = (await readPrimaryTimeline(client)) ?? 1;
    return { newTimeline: tli, history: await readTimelineHistory(client, tli) };
  });
  const oldTimeline = (await readDataDirTimeline(options.dataDir))?.timeline ?? null;
  const empty: SalvageResult = {
    oldTimeline,
    newTimeline,
    forkLsn: null,
    walEnd: null,
    transactions: 0,
    tables: [],
    cdrs: { found: 0, inserted: 0, alreadyThere: 0 },
    file: null,
  };
  if (oldTimeline === newTimeline) return { result: empty, xids: [] };
  if (oldTimeline === null || history === undefined) {
    throw new SalvageUndeterminedError(
      oldTimeline === null
        ? `${options.dataDir}/pg_wal holds no WAL segment: what the old primary wrote after the fork cannot be told; nothing was changed`
        : `the timeline history of ${where} (timeline ${newTimeline}) cannot be read: the fork point is unknown; nothing was changed`,
      'connect to the new primary as a superuser (pg_read_file); or run again with --no-salvage (the old directory is kept aside, unread)',
    );
  }
  const fork = forkPointOf(history, oldTimeline);
  if (fork === undefined) {
    throw new SalvageUndeterminedError(
      `the old primary is on timeline ${oldTimeline}, which is not in the history of ${where} (timeline ${newTimeline}): the two forked some other way, so what only the old one has cannot be told; nothing was changed`,
      'check which node holds the data the platform must keep (`db doctor --topology …` on both); or run again with --no-salvage (the old directory is kept aside, unread)',
    );
  }
  const wal = await commitsAfter(options.dataDir, oldTimeline, fork);
  if (wal.incomplete) {
    throw new SalvageUndeterminedError(
      `the old primary's WAL after the fork point ${fork} (timeline ${oldTimeline}) is not all there: ${wal.incomplete}; which rows it wrote after the fork cannot be told; nothing was changed`,
      'restore the missing WAL segments into its pg_wal (from an archive), or run again with --no-salvage (the old directory is kept aside, unread)',
    );
  }
  options.step(
    `fork point ${fork} (timeline ${oldTimeline} → ${newTimeline}); the old primary's WAL goes on to ${wal.endLsn}: ${wal.commits} transaction(s) committed after the fork`,
  );
  const result: SalvageResult = { ...empty, forkLsn: fork, walEnd: wal.endLsn, transactions: wal.commits };
  return { result, xids: lsnToBytes(wal.endLsn) <= lsnToBytes(fork) ? [] : [...wal.xids] };
}

export interface Divergence {
  result: SalvageResult;
  /** The xids committed after the fork (empty: nothing to read). */
  xids: number[];
}

/**
 * Step 3, on the KEPT copy of the old data directory (so the directory pg_rewind works on is
 * never started here: a start would record this run's settings in its control file).
 */
export async function salvageRows(
  divergence: Divergence,
  options: {
    keptDir: string;
    major: number;
    primary: ConnectionConfig;
    binDir?: string;
    osUser: OsUser | undefined;
    /** Where the rows go (beside the kept directory). */
    file: string;
  },
): Promise<SalvageResult> {
  const result: SalvageResult = { ...divergence.result, tables: [], cdrs: { found: 0, inserted: 0, alreadyThere: 0 } };
  if (divergence.xids.length === 0) return result;
  const where = describeConnection(options.primary);
  const server = await startPrivately({
    dataDir: options.keptDir,
    major: options.major,
    user: options.primary.user,
    ...(options.binDir ? { binDir: options.binDir } : {}),
    osUser: options.osUser,
  });
  const xids = divergence.xids;
  const lines: string[] = [];
  const cdrsByDatabase = new Map<string, Record<string, unknown>[]>();
  try {
    const databases = await withConnection(server.config('postgres'), async (c) =>
      (
        await c.query<{ datname: string }>(
          "SELECT datname FROM pg_database WHERE datallowconn AND datname NOT IN ('template0', 'template1') ORDER BY 1",
        )
      ).rows.map((r) => r.datname),
    );
    for (const database of databases) {
      await withConnection(server.config(database), async (client) => {
        for (const table of await topLevelTables(client)) {
          const rows = await rowsWrittenBy(client, table, xids);
          if (rows.length === 0) continue;
          result.tables.push({ database, table, rows: rows.length });
          for (const row of rows) lines.push(JSON.stringify({ database, table, row }));
          if (table === CDR_TABLE) cdrsByDatabase.set(database, rows);
        }
      });
    }
  } catch (error) {
    throw new SalvageFailedError(
      `reading the old primary's rows written after the fork failed: ${(error as Error).message}; nothing was changed`,
      'fix the cause and run again; or run with --no-salvage (the old directory is kept aside, unread)',
      { cause: error },
    );
  } finally {
    await server.stop();
  }

  if (lines.length > 0) {
    await fs.writeFile(options.file, `${lines.join('\n')}\n`, { mode: 0o600 });
    result.file = options.file;
  }
  for (const [database, rows] of cdrsByDatabase) {
    result.cdrs.found += rows.length;
    const db = createDb({ ...options.primary, database, applicationName: 'voipdb-rejoin-salvage' });
    try {
      const ingested = await ingestCdrs(db, rows.map(cdrRowFromRecord));
      result.cdrs.inserted += ingested.inserted;
      result.cdrs.alreadyThere += ingested.duplicates;
    } catch (error) {
      throw new SalvageFailedError(
        `copying ${rows.length} CDR(s) written on the old primary after the fork to ${where} (database ${database}) failed: ${(error as Error).message}; nothing was changed (every row is in ${options.file})`,
        (error as { hint?: string }).hint ?? 'fix the cause and run `db rejoin` again (the copy is idempotent)',
        { cause: error },
      );
    } finally {
      await db.destroy();
    }
  }
  return result;
}

/**
 * Tables holding user rows, each once: partitioned tables through their parent (a scan of the
 * parent reads every partition, and reports the rows under the name services write to),
 * inheritance children through their parent; no system schemas. Plus pg_class: a table created
 * or altered after the fork shows as its catalog row.
 */
async function topLevelTables(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
      ORDER BY 1`,
  );
  return [...rows.map((r) => r.name), 'pg_catalog.pg_class'];
}

/** The rows whose version was written by one of `xids` (a hashed semi-join: the list can be long). */
async function rowsWrittenBy(client: pg.ClientBase, table: string, xids: number[]): Promise<Record<string, unknown>[]> {
  // `table` comes from format('%I.%I') above: quoted as an identifier by the server itself.
  const { rows } = await client.query<{ row: Record<string, unknown> }>(
    `SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.xmin::text::bigint IN (SELECT unnest($1::bigint[]))`,
    [xids],
  );
  return rows.map((r) => r.row);
}

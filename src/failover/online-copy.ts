import { promises as fs } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { makeServerDir, type OsUser } from '../local/cluster.js';
import { CONTROL_FILE, EMPTIED_DIRS, MAX_DEPTH, planCopy, type TreeEntry, WAL_DIR } from './backup-exclusions.js';

/**
 * A base backup taken with SQL alone, for servers whose pg_basebackup is not installed here
 * (Debian 12 ships only version 15, which refuses a PostgreSQL 18 server): on ONE session,
 * pg_backup_start, then every file of the primary's data directory read over that ordinary
 * connection (pg_ls_dir / pg_stat_file / pg_read_binary_file, as pg_rewind reads its source),
 * then pg_backup_stop, whose backup_label makes the copy consistent once the WAL from the
 * start position is replayed. The standby fetches that WAL through its slot, so pg_wal is left empty.
 *
 * The session needs a superuser, or a role granted EXECUTE on those functions.
 */

const CHUNK = 4 * 1024 * 1024;

export interface OnlineCopyResult {
  startLsn: string;
  stopLsn: string;
  files: number;
  bytes: number;
}

/**
 * Copies the server `client` is connected to into `targetDir` (existing and empty). Files the
 * server removes during the copy are skipped: the WAL replayed from the start position recreates
 * the truth. On failure the backup is aborted by closing the session (the caller does that).
 */
export async function onlineCopy(
  client: pg.ClientBase,
  targetDir: string,
  options: { label: string; osUser: OsUser | undefined; beforeStop?: () => Promise<void> },
): Promise<OnlineCopyResult> {
  const start = await client.query<{ lsn: string }>('SELECT pg_backup_start(label => $1, fast => true)::text AS lsn', [options.label]);
  const stats = { files: 0, bytes: 0 };
  await copyTree(client, targetDir, options.osUser, stats);
  await copyFile(client, CONTROL_FILE, path.join(targetDir, CONTROL_FILE), options.osUser, stats);
  await options.beforeStop?.();
  const stop = await client.query<{ lsn: string; labelfile: string; spcmapfile: string | null }>(
    'SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(wait_for_archive => false)',
  );
  const row = stop.rows[0]!;
  await writeServerFile(path.join(targetDir, 'backup_label'), row.labelfile, options.osUser);
  if (row.spcmapfile) await writeServerFile(path.join(targetDir, 'tablespace_map'), row.spcmapfile, options.osUser);
  return { startLsn: start.rows[0]!.lsn, stopLsn: row.lsn, ...stats };
}

interface Entry {
  path: string;
  size: string | null;
  isdir: boolean | null;
}

/**
 * The whole tree in one query (a recursive walk with pg_ls_dir / pg_stat_file, not descending
 * into the folders whose contents a base backup leaves out; backup-exclusions.ts decides the
 * rest), and the small files read many per query: round trips, not bytes, are what a copy over SQL spends its time on.
 */
async function copyTree(
  client: pg.ClientBase,
  target: string,
  osUser: OsUser | undefined,
  stats: { files: number; bytes: number },
): Promise<void> {
  const { rows } = await client.query<Entry>(
    `WITH RECURSIVE tree(path, name, depth, isdir, size) AS (
       SELECT name, name, 1, (s).isdir, (s).size
         FROM (SELECT name, pg_stat_file(name, true) AS s FROM pg_ls_dir('.', true, false) AS name) top
       UNION ALL
       SELECT t.path || '/' || c.name, c.name, t.depth + 1, (c.s).isdir, (c.s).size
         FROM tree t,
              LATERAL (SELECT name, pg_stat_file(t.path || '/' || name, true) AS s FROM pg_ls_dir(t.path, true, false) AS name) c
        WHERE t.isdir AND t.depth < $1 AND t.path <> $2 AND NOT (t.name = ANY($3::text[])) AND t.name NOT LIKE 'pgsql\\_tmp%'
     )
     SELECT path, isdir, size::text AS size FROM tree WHERE isdir IS NOT NULL`,
    [MAX_DEPTH, WAL_DIR, [...EMPTIED_DIRS]],
  );
  const entries: TreeEntry[] = rows.map((r) => ({ path: r.path, isdir: r.isdir === true, size: Number(r.size ?? 0) }));
  const plan = planCopy(entries);
  for (const dir of plan.dirs) await makeServerDir(path.join(target, dir), osUser);
  for (const file of plan.empty) await writeServerFile(path.join(target, file), '', osUser);
  stats.files += plan.empty.length;
  let batch: string[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const { rows: read } = await client.query<{ path: string; data: Buffer | null }>(
      'SELECT p AS path, pg_read_binary_file(p, 0, $2, true) AS data FROM unnest($1::text[]) AS p',
      [batch, CHUNK],
    );
    for (const r of read) {
      if (r.data === null) continue; // removed by the server meanwhile
      if (r.data.length < CHUNK) {
        await writeServerFile(path.join(target, r.path), r.data, osUser);
        stats.files++;
        stats.bytes += r.data.length;
      } else {
        await copyFile(client, r.path, path.join(target, r.path), osUser, stats); // grew past one chunk: read it in chunks
      }
    }
    batch = [];
    batchBytes = 0;
  };
  for (const f of plan.files) {
    if (f.size >= CHUNK) {
      await copyFile(client, f.path, path.join(target, f.path), osUser, stats);
      continue;
    }
    if (batchBytes + f.size > CHUNK || batch.length >= 500) await flush();
    batch.push(f.path);
    batchBytes += f.size;
  }
  await flush();
}

async function copyFile(
  client: pg.ClientBase,
  source: string,
  to: string,
  osUser: OsUser | undefined,
  stats: { files: number; bytes: number },
): Promise<void> {
  // bytea arrives as a Buffer in text (hex) mode; never ask pg for binary results here.
  const handle = await fs.open(to, 'w', 0o600);
  let offset = 0;
  let vanished = false;
  try {
    for (;;) {
      const { rows } = await client.query<{ data: Buffer | null }>('SELECT pg_read_binary_file($1, $2, $3, true) AS data', [
        source,
        offset,
        CHUNK,
      ]);
      const data = rows[0]!.data;
      if (data === null) {
        vanished = offset === 0; // removed by the server meanwhile
        break;
      }
      if (data.length > 0) await handle.write(data);
      offset += data.length;
      if (data.length < CHUNK) break;
    }
  } finally {
    await handle.close();
  }
  if (vanished) {
    await fs.rm(to, { force: true });
    return;
  }
  if (osUser) await fs.chown(to, osUser.uid, osUser.gid);
  stats.files++;
  stats.bytes += offset;
}

/** Writes a file of the data directory: mode 0600, owned by the server's OS user. */
export async function writeServerFile(file: string, text: string | Buffer, osUser: OsUser | undefined): Promise<void> {
  await fs.writeFile(file, text, { mode: 0o600 });
  if (osUser) await fs.chown(file, osUser.uid, osUser.gid);
}

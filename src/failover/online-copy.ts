import { promises as fs } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { makeServerDir, type OsUser } from '../local/cluster.js';

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

/** Folders whose contents a base backup leaves out (PostgreSQL's basebackup.c). */
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'backup_manifest',
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'standby.signal',
  'recovery.signal',
]);
/** The control file is written last: a copy cut short has none, so it can never be started by mistake. */
const CONTROL_FILE = 'global/pg_control';
const CHUNK = 4 * 1024 * 1024;

function skipFile(name: string): boolean {
  return SKIP_FILES.has(name) || name.startsWith('pg_internal.init') || name.startsWith('pgsql_tmp');
}

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
  await copyTree(client, '.', targetDir, options.osUser, stats);
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
  name: string;
  size: string | null;
  isdir: boolean | null;
}

async function copyTree(
  client: pg.ClientBase,
  dir: string,
  target: string,
  osUser: OsUser | undefined,
  stats: { files: number; bytes: number },
): Promise<void> {
  const { rows } = await client.query<Entry>(
    `SELECT name, (s).size::text AS size, (s).isdir AS isdir
       FROM (SELECT name, pg_stat_file(CASE WHEN $1 = '.' THEN name ELSE $1 || '/' || name END, true) AS s
               FROM pg_ls_dir($1, true, false) AS name) entries
      ORDER BY name`,
    [dir],
  );
  for (const entry of rows) {
    if (entry.isdir === null) continue; // vanished between listing and stat
    const source = dir === '.' ? entry.name : `${dir}/${entry.name}`;
    const to = path.join(target, entry.name);
    if (entry.isdir) {
      await makeServerDir(to, osUser);
      if (!(dir === '.' && EMPTY_DIRS.has(entry.name))) await copyTree(client, source, to, osUser, stats);
    } else if (!skipFile(entry.name) && source !== CONTROL_FILE) {
      await copyFile(client, source, to, osUser, stats);
    }
  }
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
export async function writeServerFile(file: string, text: string, osUser: OsUser | undefined): Promise<void> {
  await fs.writeFile(file, text, { mode: 0o600 });
  if (osUser) await fs.chown(file, osUser.uid, osUser.gid);
}

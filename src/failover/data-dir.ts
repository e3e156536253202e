import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makeServerDir, type OsUser, runningPid } from '../local/cluster.js';
import { DataDirInvalidError, DataDirNotEmptyError, ServerRunningError } from './errors.js';

/**
 * Facts about a PostgreSQL data directory read from its files, and the few ways the failover
 * commands change one as a whole. A clone in progress is marked by a file, so that a run that
 * was killed midway is recognised the next time instead of being started as a cluster.
 */

export const INCOMPLETE_MARKER = 'voipdb-clone.incomplete';

/** Refuses unless `dir` is missing or empty (a mount point's lost+found is not allowed either: PostgreSQL refuses it too). */
export async function assertEmptyDataDir(dir: string, action: 'clone' | 'restore' = 'clone'): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR')
      throw new DataDirInvalidError(`${dir} is a file, not a directory`, 'pass the path of the (empty) data directory');
    throw error;
  }
  if (entries.length === 0) return;
  if (entries.includes(INCOMPLETE_MARKER)) {
    throw new DataDirNotEmptyError(
      `${dir} holds an incomplete clone (${INCOMPLETE_MARKER} is there): an earlier run stopped midway; it is not a usable cluster`,
      `empty it (rm -rf ${path.join(dir, '*')}) and run the clone again`,
    );
  }
  const kind = entries.includes('PG_VERSION') ? 'a PostgreSQL cluster' : `${entries.length} file(s)`;
  throw new DataDirNotEmptyError(
    `refusing to ${action} into ${dir}: it is not empty (it holds ${kind}); nothing was written`,
    entries.includes('PG_VERSION')
      ? 'to turn an old primary into a standby use `db rejoin`; otherwise choose an empty directory or empty this one yourself'
      : 'choose an empty directory, or empty this one yourself',
  );
}

/** Creates `dir` (mode 0700, owned by the server's OS user when we run as root). */
export async function makeDataDir(dir: string, osUser: OsUser | undefined): Promise<void> {
  await makeServerDir(dir, osUser, 0o700);
}

/** Removes everything inside `dir`, keeping the directory (it may be a mount point). */
export async function clearDataDir(dir: string): Promise<void> {
  for (const entry of await fs.readdir(dir).catch(() => [] as string[])) {
    await fs.rm(path.join(dir, entry), { recursive: true, force: true });
  }
}

/** Refuses when a postmaster runs on `dir` (postmaster.pid names a live process). */
export async function assertNotRunning(dir: string, action: string): Promise<void> {
  const pid = await runningPid(dir);
  if (pid !== undefined) {
    throw new ServerRunningError(
      `refusing to ${action}: PostgreSQL (pid ${pid}) is running on ${dir}; nothing was changed`,
      'stop it first (systemctl stop <unit>, or pg_ctl -D <dir> stop -m fast) and run again',
    );
  }
}

/** The cluster's major version from PG_VERSION ("18"), or undefined when there is no cluster. */
export async function readDataDirMajor(dir: string): Promise<number | undefined> {
  try {
    return Number((await fs.readFile(path.join(dir, 'PG_VERSION'), 'utf8')).trim());
  } catch {
    return undefined;
  }
}

/**
 * The database system identifier from global/pg_control (its first field, a little-endian
 * uint64, in every major version): two data directories of one cluster and its clones share it.
 */
export async function readSystemIdentifier(dir: string): Promise<string | undefined> {
  try {
    const handle = await fs.open(path.join(dir, 'global', 'pg_control'), 'r');
    try {
      const buf = Buffer.alloc(8);
      const { bytesRead } = await handle.read(buf, 0, 8, 0);
      return bytesRead === 8 ? buf.readBigUInt64LE(0).toString() : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Moves the old contents aside as `<dir>.old-<timestamp>` and leaves an empty `dir` with the
 * same owner and mode, so a re-clone never destroys the only copy of what was there.
 */
export async function moveDataDirAside(dir: string, osUser: OsUser | undefined): Promise<string> {
  const aside = `${dir.replace(/\/+$/, '')}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await fs.rename(dir, aside);
  } catch (error) {
    throw new DataDirInvalidError(
      `cannot move ${dir} aside to ${aside} (${(error as NodeJS.ErrnoException).code ?? String(error)}); nothing was changed`,
      `if ${dir} is a mount point, move or delete its contents yourself and run \`db standby clone\` into it`,
      { cause: error },
    );
  }
  await makeDataDir(dir, osUser);
  return aside;
}

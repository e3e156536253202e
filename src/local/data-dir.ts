import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makeServerDir, type OsUser, runningPid } from './cluster.js';
import { DataDirInvalidError, DataDirNotEmptyError, KeepAsideFailedError, ServerRunningError } from './errors.js';

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

/** Where an old data directory is kept: `<dir>.old-<UTC time>`, beside it. */
export function asidePath(dir: string): string {
  return `${dir.replace(/\/+$/, '')}.old-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Copies the whole data directory to `aside` (owners, modes and times kept; reflinked where the
 * file system can), after checking there is room for it: pg_rewind then changes `dir` in place
 * while the old primary's files stay untouched in `aside`. A copy cut short is removed again.
 */
export async function copyDataDirAside(dir: string, aside: string): Promise<void> {
  const need = await directoryBytes(dir);
  const parent = path.dirname(aside);
  const fsInfo = await fs.statfs(parent);
  const free = fsInfo.bavail * fsInfo.bsize;
  // 5% headroom: the rewind itself writes into `dir` on the same file system.
  if (need * 1.05 > free) {
    throw new KeepAsideFailedError(
      `cannot keep a copy of ${dir} (${Math.ceil(need / 1024 / 1024)} MB) aside before pg_rewind: ${parent} has ${Math.floor(free / 1024 / 1024)} MB free; nothing was changed`,
      `make room there, or run \`db rejoin … --method clone\` (it moves ${dir} aside instead of copying it)`,
    );
  }
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile('cp', ['-a', '--reflink=auto', dir, aside], (error, _stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
  if (r.code !== 0) {
    await fs.rm(aside, { recursive: true, force: true });
    throw new KeepAsideFailedError(
      `cannot keep a copy of ${dir} aside at ${aside}: ${r.stderr.trim() || `cp exited with ${r.code}`}; nothing was changed`,
      'fix the cause (space, permissions) and run `db rejoin` again',
    );
  }
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.lstat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/**
 * Moves the old contents aside as `<dir>.old-<timestamp>` and leaves an empty `dir` with the
 * same owner and mode, so a re-clone never destroys the only copy of what was there.
 */
export async function moveDataDirAside(dir: string, osUser: OsUser | undefined, aside = asidePath(dir)): Promise<string> {
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

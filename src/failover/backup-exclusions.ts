/**
 * What a base backup copies of a data directory, as PostgreSQL 18's pg_basebackup decides it
 * (src/backend/backup/basebackup.c, and the BASE_BACKUP section of the protocol chapter of the
 * manual): everything, except
 * - postmaster.pid, postmaster.opts, backup_label, tablespace_map, backup_manifest,
 *   postgresql.auto.conf.tmp, current_logfiles.tmp and pg_internal.init* (by name, in any folder);
 * - anything whose name starts with pgsql_tmp, and temporary relations (t<backend>_<relfilenode>);
 * - the forks of unlogged relations other than their init fork;
 * - the contents of pg_wal (kept with its archive_status and summaries folders), pg_dynshmem,
 *   pg_notify, pg_replslot, pg_serial, pg_snapshots, pg_stat_tmp and pg_subtrans (kept empty);
 * - anything that is not a regular file or a folder (sockets, FIFOs, devices).
 * global/pg_control is copied last.
 *
 * On top of that, the copy leaves out what would mislead the new standby: the server's Unix
 * socket lock files (`.s.PGSQL.<port>.lock`, which pg_basebackup copies: they name the old
 * postmaster's pid, and a live process with that pid on the new node makes the standby refuse
 * to start), standby.signal / recovery.signal (the clone writes its own) and backup_label.old
 * (left by an earlier restore; pgBackRest leaves it out too).
 */

/** Folders whose contents are left out; the folder itself is kept (empty) for its permissions. */
export const EMPTIED_DIRS: ReadonlySet<string> = new Set([
  'pg_stat_tmp',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
]);

/** pg_wal is kept empty too, with the two folders the server expects inside it. */
export const WAL_DIR = 'pg_wal';
export const WAL_SUBDIRS = ['archive_status', 'summaries'] as const;

const EXCLUDED_FILES: ReadonlySet<string> = new Set([
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'backup_label',
  'tablespace_map',
  'backup_manifest',
  'postmaster.pid',
  'postmaster.opts',
  // Not left out by pg_basebackup, see above.
  'backup_label.old',
  'standby.signal',
  'recovery.signal',
]);

export const CONTROL_FILE = 'global/pg_control';

/**
 * A folder deeper than this is refused: a data directory is at most four levels deep
 * (pg_tblspc/<oid>/<version>/<db>/<file>), and a deeper one means a symbolic-link loop, which
 * a copy over SQL cannot see (pg_stat_file follows links).
 */
export const MAX_DEPTH = 8;

export interface TreeEntry {
  /** Relative to the data directory, '/'-separated. */
  path: string;
  isdir: boolean;
  size: number;
}

export interface CopyPlan {
  /** Folders to create, parents first. */
  dirs: string[];
  /** Regular files to read, without global/pg_control (copied last). */
  files: TreeEntry[];
  /** Files created empty without being read: size 0 when listed (a socket, a FIFO or a device is never opened). */
  empty: string[];
  /** What was left out, for the log. */
  skipped: number;
}

/** Is the entry's name one the server never needs in a copy (any folder)? */
export function excludedByName(name: string): boolean {
  return (
    EXCLUDED_FILES.has(name) ||
    name.startsWith('pg_internal.init') ||
    name.startsWith('pgsql_tmp') ||
    name === '.DS_Store' ||
    /^\.s\.PGSQL\.\d+(\.lock)?$/.test(name)
  );
}

/** Folders the listing must not descend into (their contents are never copied). */
export function listingStopsAt(relPath: string): boolean {
  const name = baseName(relPath);
  return EMPTIED_DIRS.has(name) || name.startsWith('pgsql_tmp') || relPath === WAL_DIR;
}

const RELATION_FILE = /^(\d+)(?:_(fsm|vm|init))?(?:\.\d+)?$/;
const TEMP_RELATION_FILE = /^t\d+_\d+(?:_(fsm|vm|init))?(?:\.\d+)?$/;

/** base/<db oid> and global hold relation files; only there are unlogged and temporary relations recognised. */
function relationDir(dir: string): { isRelationDir: boolean; isDatabaseDir: boolean } {
  const isDatabaseDir = /^base\/\d+$/.test(dir);
  return { isRelationDir: isDatabaseDir || dir === 'global', isDatabaseDir };
}

/** Splits a listing of the whole data directory into what to create, read, and leave out. */
export function planCopy(entries: readonly TreeEntry[]): CopyPlan {
  const byDir = new Map<string, Set<string>>();
  for (const e of entries) {
    const dir = dirName(e.path);
    const names = byDir.get(dir) ?? new Set<string>();
    names.add(baseName(e.path));
    byDir.set(dir, names);
  }
  const skippedDirs: string[] = [];
  const plan: CopyPlan = { dirs: [], files: [], empty: [], skipped: 0 };
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) {
    if (skippedDirs.some((d) => e.path.startsWith(`${d}/`))) continue;
    const name = baseName(e.path);
    const dir = dirName(e.path);
    const parentEmptied = dir !== '' && (EMPTIED_DIRS.has(baseName(dir)) || dir === WAL_DIR);
    if (parentEmptied || excludedByName(name)) {
      plan.skipped++;
      if (e.isdir) skippedDirs.push(e.path);
      continue;
    }
    if (e.isdir) {
      if (e.path.split('/').length >= MAX_DEPTH && !listingStopsAt(e.path)) {
        throw new Error(`${e.path} is ${MAX_DEPTH} folders deep: a symbolic-link loop in the data directory?`);
      }
      plan.dirs.push(e.path);
      if (e.path === WAL_DIR) for (const sub of WAL_SUBDIRS) plan.dirs.push(`${WAL_DIR}/${sub}`);
      continue;
    }
    if (e.path === CONTROL_FILE) continue;
    const { isRelationDir, isDatabaseDir } = relationDir(dir);
    if (isDatabaseDir && TEMP_RELATION_FILE.test(name)) {
      plan.skipped++;
      continue;
    }
    if (isRelationDir) {
      const m = RELATION_FILE.exec(name);
      if (m && m[2] !== 'init' && byDir.get(dir)?.has(`${m[1]}_init`)) {
        plan.skipped++;
        continue;
      }
    }
    if (e.size === 0) plan.empty.push(e.path);
    else plan.files.push(e);
  }
  return plan;
}

function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

import { execFile } from 'node:child_process';
import type { OsUser } from '../local/cluster.js';
import { PgbackrestFailedError, PgbackrestMissingError } from './errors.js';
import { lastLines } from '../local/last-lines.js';

/**
 * Runs Debian's `pgbackrest` (found on PATH): voipdb builds on it and never copies WAL or data
 * files itself. Commands that touch the repository or a data directory run as the server's OS
 * user (`osUser`), so that what they write stays readable by archive-push.
 */
export interface PgbackrestRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PgbackrestOptions {
  osUser?: OsUser | undefined;
  /** Extra environment (PGBACKREST_* options, PGPASSWORD for the commands that connect). */
  env?: NodeJS.ProcessEnv;
  /** pgBackRest's configuration file when it is not the default. */
  configFile?: string | undefined;
  timeoutMs?: number;
}

/** Runs pgbackrest; undefined when it is not installed. */
export function runPgbackrest(args: string[], options: PgbackrestOptions = {}): Promise<PgbackrestRun | undefined> {
  const argv = [...(options.configFile ? [`--config=${options.configFile}`] : []), ...args];
  return new Promise((resolve, reject) => {
    execFile(
      'pgbackrest',
      argv,
      {
        ...(options.osUser ? { uid: options.osUser.uid, gid: options.osUser.gid } : {}),
        env: { ...process.env, ...options.env },
        cwd: '/',
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 0,
      },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as unknown as number) : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Runs pgbackrest and throws unless it succeeded; `what` names the caller for the missing-program error. */
export async function mustRunPgbackrest(args: string[], what: string, hint: string, options: PgbackrestOptions = {}): Promise<string> {
  const run = await runPgbackrest(args, options);
  if (!run) throw new PgbackrestMissingError(what);
  if (run.code !== 0)
    throw new PgbackrestFailedError(args.filter((a) => !a.startsWith('--')).join(' '), lastLines(`${run.stdout}\n${run.stderr}`, 4), hint);
  return run.stdout;
}

/** The installed pgBackRest's version ("2.45"), or undefined when it is not installed. */
export async function pgbackrestVersion(options: PgbackrestOptions = {}): Promise<string | undefined> {
  const run = await runPgbackrest(['version'], { ...options, configFile: undefined });
  const m = run ? /pgBackRest\s+(\d+(?:\.\d+)+)/.exec(run.stdout) : null;
  return m ? m[1] : undefined;
}

/** One backup as `pgbackrest info --output=json` lists it. */
export interface BackupInfo {
  label: string;
  type: 'full' | 'diff' | 'incr';
  /** Unix seconds. */
  timestamp: { start: number; stop: number };
  archive: { start: string | null; stop: string | null };
}

/** One stanza of `pgbackrest info --output=json`. */
export interface StanzaInfo {
  name: string;
  /** 0 ok; otherwise pgBackRest's reason (missing stanza path, no valid backups, ...). */
  status: { code: number; message: string };
  backup: BackupInfo[];
  archive: { id: string; min: string | null; max: string | null }[];
}

/** The stanza's info; undefined when pgBackRest is not installed. Throws when info itself fails. */
export async function stanzaInfo(stanza: string, options: PgbackrestOptions = {}): Promise<StanzaInfo | undefined> {
  const run = await runPgbackrest([`--stanza=${stanza}`, '--output=json', 'info'], options);
  if (!run) return undefined;
  if (run.code !== 0) {
    throw new PgbackrestFailedError(
      'info',
      lastLines(`${run.stdout}\n${run.stderr}`, 4),
      "check pgBackRest's configuration and that the repository is reachable",
    );
  }
  const all = JSON.parse(run.stdout) as StanzaInfo[];
  return all.find((s) => s.name === stanza) ?? { name: stanza, status: { code: 1, message: 'missing stanza' }, backup: [], archive: [] };
}

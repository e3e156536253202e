import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertEmptyDataDir, clearDataDir, makeDataDir } from '../local/data-dir.js';
import { findProgram } from '../local/binaries.js';
import type { OsUser } from '../local/cluster.js';
import { type PrivateStart, privateStart } from '../local/private-start.js';
import { RestoreCheckFailedError, RestoreTargetInvalidError } from './errors.js';
import { mustRunPgbackrest } from './pgbackrest.js';
import { lastLines } from '../local/last-lines.js';

/**
 * Point-in-time recovery into a NEW data directory with pgBackRest: the newest backup before the
 * target, then the archived WAL replayed up to just before it, on the latest timeline (so a time
 * after a failover is reached through the promoted node's history). The running cluster is
 * never touched; what to copy back from the restored one is the operator's choice.
 */
export interface RestoreOptions {
  stanza: string;
  /** pgBackRest's configuration file when it is not the default. */
  configFile?: string | undefined;
  /** Stop replay just before the first transaction that committed at or after this time. */
  before: Date;
  dataDir: string;
  osUser?: OsUser | undefined;
  /** Environment for pgbackrest (PGBACKREST_* options). */
  env?: NodeJS.ProcessEnv;
}

export interface RestoreResult {
  dataDir: string;
  /** The target as pgBackRest was given it (UTC). */
  target: string;
}

/** "2026-12-05T14:03:00Z", "2026-12-05 15:03:00+01": a time with its zone, else RestoreTargetInvalidError. */
export function parseRestoreTarget(raw: string): Date {
  const withZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(raw.trim());
  const ms = Date.parse(raw.trim().replace(' ', 'T'));
  if (!withZone || Number.isNaN(ms)) throw new RestoreTargetInvalidError(raw);
  return new Date(ms);
}

/** pgBackRest's --target: PostgreSQL's recovery_target_time syntax, in UTC. */
export function targetText(at: Date): string {
  return `${at.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}

export async function restoreBefore(options: RestoreOptions): Promise<RestoreResult> {
  const dataDir = path.resolve(options.dataDir);
  await assertEmptyDataDir(dataDir, 'restore');
  await makeDataDir(dataDir, options.osUser);
  const target = targetText(options.before);
  try {
    await mustRunPgbackrest(
      [
        `--stanza=${options.stanza}`,
        `--pg1-path=${dataDir}`,
        '--type=time',
        `--target=${target}`,
        // "Just before": a transaction that committed exactly at the target is not replayed.
        '--target-exclusive',
        '--target-action=promote',
        '--target-timeline=latest',
        // The copy must not push its own WAL into the repository the real cluster archives to.
        '--archive-mode=off',
        'restore',
      ],
      'restoring a backup',
      'pgbackrest info shows the backups and the WAL range the repository holds: the target must be after the end of a backup',
      { osUser: options.osUser, configFile: options.configFile, ...(options.env ? { env: options.env } : {}) },
    );
  } catch (error) {
    // The directory was missing or empty: a failed restore leaves it so, not half-written.
    await clearDataDir(dataDir);
    throw error;
  }
  return { dataDir, target };
}

export interface RestoreCheck {
  /** PostgreSQL's own line about where replay stopped ("recovery stopping before commit of transaction …, time …"). */
  stoppedAt: string | undefined;
  /** The timeline the restored copy was promoted to. */
  timeline: number;
}

/**
 * Starts the restored copy on a private socket (no TCP), waits until it has replayed to the target
 * and promoted itself, and stops it again: proof that the backup and the WAL up to the target are
 * complete. Uses the Debian server of the copy's major (PG_VERSION), or `binDir`.
 */
export async function checkRestored(
  dataDir: string,
  osUser: OsUser | undefined,
  binDir?: string,
  timeoutMs = 600_000,
): Promise<RestoreCheck> {
  const major = Number((await fs.readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim());
  const pgCtl = binDir ? path.join(binDir, 'pg_ctl') : (await findProgram('pg_ctl', major)).found?.path;
  if (!pgCtl) {
    throw new RestoreCheckFailedError(
      `cannot check the restored copy: no pg_ctl of PostgreSQL ${major} here`,
      `install PostgreSQL ${major}'s server package, or pass --bin-dir; the restored directory ${dataDir} is complete but unchecked`,
    );
  }
  let server: PrivateStart;
  try {
    server = await privateStart({
      dataDir,
      binDir: path.dirname(pgCtl),
      osUser,
      folderPrefix: 'voipdb-restore-check-',
      hba: 'local all all peer\n',
      // hot_standby off: recovery then does not ask for the original server's max_connections and
      // friends (set outside the data directory, e.g. on Debian in /etc/postgresql), nor lets anyone in.
      settings: { hot_standby: 'off' },
      // Not until it accepts connections: the log below says when recovery has ended, or why it could not.
      wait: 'launched',
    });
  } catch (error) {
    throw failed(dataDir, (error as Error).message);
  }
  try {
    const deadline = Date.now() + timeoutMs;
    let log = '';
    // Promotion ends recovery: the log then says so, or says why recovery could not reach the target.
    for (;;) {
      log = await fs.readFile(server.logFile, 'utf8').catch(() => '');
      if (/database system is ready to accept connections/.test(log) && /selected new timeline ID: \d+/.test(log)) break;
      // Nothing connects to the private socket, so any FATAL is recovery's own (e.g. "recovery ended
      // before configured recovery target was reached": the WAL up to the target is not archived).
      if (/\b(FATAL|PANIC): /.test(log)) throw failed(dataDir, lastLines(log, 4));
      if (Date.now() > deadline) throw failed(dataDir, `not promoted within ${timeoutMs / 1000} s: ${lastLines(log, 4)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return {
      stoppedAt: /recovery stopping before [^\n]*/.exec(log)?.[0],
      timeline: Number(/selected new timeline ID: (\d+)/.exec(log)![1]),
    };
  } finally {
    await server.stop();
  }
}

function failed(dataDir: string, why: string): RestoreCheckFailedError {
  return new RestoreCheckFailedError(
    `the restored copy in ${dataDir} did not reach its target: ${why}`,
    'is the WAL up to the target in the repository? (pgbackrest info, and pgbackrest check on the primary)',
  );
}

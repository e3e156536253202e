import type pg from 'pg';
import type { NodeRole } from '../database/node-info.js';
import type { Check, Severity } from './severity.js';
import { formatBytes } from './size.js';

/**
 * WAL safety: is WAL leaving this node for the archive, or piling up in pg_wal until the disk
 * is full? `archive_mode = on` without a command keeps every segment forever; a failing command
 * does the same, more slowly. A standby (archive_mode = on) does not archive until it is
 * promoted, so there the same findings are warnings about the future, never CRITICAL.
 */
export interface WalArchiveState {
  archiveMode: string;
  archiveCommand: string;
  /** '' where the server has no archive_library (before 15) or none is set. */
  archiveLibrary: string;
  maxWalSizeBytes: number;
  walKeepSizeBytes: number;
  failedCount: number;
  lastFailedAt: string | null;
  lastFailedWal: string | null;
  lastArchivedAt: string | null;
  lastArchivedWal: string | null;
  /** The last failure is newer than the last success (compared by the server, as timestamps). */
  failing: boolean;
  /** Segments (and history files) waiting in pg_wal/archive_status as .ready. */
  readyCount: number;
  walBytes: number;
}

export interface WalArchiveLimits {
  /** More .ready segments than this is CRITICAL where the node archives. */
  maxReadyWal: number;
}

/** 32 segments (512 MB of 16 MB segments) waiting: a healthy archiver keeps this near 0 even under bulk load. */
export const DEFAULT_MAX_READY_WAL = 32;

export async function readWalArchiveState(client: pg.ClientBase): Promise<WalArchiveState> {
  const { rows } = await client.query<{
    archive_mode: string;
    archive_command: string;
    archive_library: string;
    max_wal_size: string;
    wal_keep_size: string;
    failed_count: string;
    last_failed_at: string | null;
    last_failed_wal: string | null;
    last_archived_at: string | null;
    last_archived_wal: string | null;
    failing: boolean;
  }>(`
    SELECT current_setting('archive_mode') AS archive_mode,
           current_setting('archive_command') AS archive_command,
           coalesce(current_setting('archive_library', true), '') AS archive_library,
           pg_size_bytes(current_setting('max_wal_size'))::text AS max_wal_size,
           pg_size_bytes(current_setting('wal_keep_size'))::text AS wal_keep_size,
           a.failed_count::text, a.last_failed_time::text AS last_failed_at, a.last_failed_wal,
           a.last_archived_time::text AS last_archived_at, a.last_archived_wal,
           coalesce(a.last_failed_time > a.last_archived_time, a.last_failed_time IS NOT NULL) AS failing
      FROM pg_stat_archiver a`);
  // Both functions need superuser or pg_monitor; without them the group reads UNKNOWN.
  const { rows: files } = await client.query<{ ready: string; wal_bytes: string }>(`
    SELECT (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready')::text AS ready,
           (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::text AS wal_bytes`);
  const r = rows[0]!;
  return {
    archiveMode: r.archive_mode,
    archiveCommand: r.archive_command,
    archiveLibrary: r.archive_library,
    maxWalSizeBytes: Number(r.max_wal_size),
    walKeepSizeBytes: Number(r.wal_keep_size),
    failedCount: Number(r.failed_count),
    lastFailedAt: r.last_failed_at,
    lastFailedWal: r.last_failed_wal,
    lastArchivedAt: r.last_archived_at,
    lastArchivedWal: r.last_archived_wal,
    failing: r.failing,
    readyCount: Number(files[0]!.ready),
    walBytes: Number(files[0]!.wal_bytes),
  };
}

/** Whether this node's archiver runs now: on a primary with archive_mode on, anywhere with always. */
export function archivesNow(state: Pick<WalArchiveState, 'archiveMode'>, role: NodeRole): boolean {
  return state.archiveMode === 'always' || (state.archiveMode === 'on' && role === 'primary');
}

/**
 * pg_wal beyond twice max_wal_size plus wal_keep_size is a WARNING: max_wal_size is a soft target a
 * busy checkpoint may overshoot, but not by that much unless something holds WAL (the archiver,
 * a slot, a stuck checkpoint).
 */
export function walSizeLimit(state: Pick<WalArchiveState, 'maxWalSizeBytes' | 'walKeepSizeBytes'>): number {
  return 2 * state.maxWalSizeBytes + state.walKeepSizeBytes;
}

export function evaluateWalArchive(state: WalArchiveState, role: NodeRole, limits: WalArchiveLimits): Check[] {
  const active = archivesNow(state, role);
  // Where the node does not archive yet (a standby), a problem is a warning about its promotion.
  const problem: Severity = active ? 'critical' : 'warning';
  const later = active ? '' : ' (this standby does not archive until it is promoted; then it will)';
  const mode = state.archiveMode;
  const hasCommand = state.archiveCommand.trim() !== '' || state.archiveLibrary.trim() !== '';
  const checks: Check[] = [
    {
      id: 'setting.archive_mode',
      ...archiveModeVerdict(state, hasCommand, problem, later),
      data: { value: mode, archiveCommand: state.archiveCommand, archiveLibrary: state.archiveLibrary },
    },
  ];

  if (mode === 'off') return [...checks, walSizeCheck(state)];

  // A failure newer than the last success: the archiver is stuck on a segment (it retries the same one).
  const failing = state.failing;
  const archiverData = {
    failedCount: state.failedCount,
    lastFailedAt: state.lastFailedAt,
    lastFailedWal: state.lastFailedWal,
    lastArchivedAt: state.lastArchivedAt,
    lastArchivedWal: state.lastArchivedWal,
  };
  checks.push(
    failing
      ? {
          id: 'archive.archiver',
          severity: problem,
          summary: `archive_command is failing: ${state.lastFailedWal ?? 'a segment'} failed at ${state.lastFailedAt}, last success ${state.lastArchivedAt ?? 'never'}${later}; the server log says why (run the command by hand as postgres)`,
          data: archiverData,
        }
      : {
          id: 'archive.archiver',
          severity: 'ok',
          summary:
            state.lastArchivedAt === null
              ? 'archiver: nothing archived yet, no failure'
              : `archiver: last archived ${state.lastArchivedWal} at ${state.lastArchivedAt}`,
          data: archiverData,
        },
  );

  const piled = state.readyCount > limits.maxReadyWal;
  checks.push({
    id: 'archive.ready',
    severity: piled ? problem : 'ok',
    summary: piled
      ? `${state.readyCount} WAL files wait to be archived (.ready in pg_wal/archive_status; limit ${limits.maxReadyWal})${later}: the archiver is stuck or too slow`
      : `${state.readyCount} WAL file(s) wait to be archived (limit ${limits.maxReadyWal})`,
    data: { ready: state.readyCount, limit: limits.maxReadyWal },
  });
  return [...checks, walSizeCheck(state)];
}

function walSizeCheck(state: WalArchiveState): Check {
  const limit = walSizeLimit(state);
  const over = state.walBytes > limit;
  return {
    id: 'archive.pg_wal_size',
    severity: over ? 'warning' : 'ok',
    summary: over
      ? `pg_wal holds ${formatBytes(state.walBytes)}, more than 2 x max_wal_size + wal_keep_size (${formatBytes(limit)}): something keeps WAL (archiver, slot, checkpoints)`
      : `pg_wal holds ${formatBytes(state.walBytes)} (warning above ${formatBytes(limit)})`,
    data: { walBytes: state.walBytes, limit },
  };
}

/** setting.archive_mode: off is a choice; on with nothing to run fills pg_wal; on with a command is fine. */
function archiveModeVerdict(
  state: WalArchiveState,
  hasCommand: boolean,
  problem: Severity,
  later: string,
): Pick<Check, 'severity' | 'summary'> {
  const mode = state.archiveMode;
  if (mode === 'off') {
    return { severity: 'ok', summary: 'archive_mode = off: no WAL archive, so no point-in-time recovery (the standby is fed by its slot)' };
  }
  if (!hasCommand) {
    return {
      severity: problem,
      summary: `archive_mode = ${mode} with no archive_command or archive_library: every WAL segment stays in pg_wal until the disk is full${later}; set archive_command (db config render --service postgres) or archive_mode = off, then reload`,
    };
  }
  return {
    severity: 'ok',
    summary: `archive_mode = ${mode}, ${state.archiveCommand ? `archive_command = '${state.archiveCommand}'` : `archive_library = '${state.archiveLibrary}'`}`,
  };
}

import { pgbackrestVersion, type StanzaInfo, stanzaInfo } from '../backup/pgbackrest.js';
import { pgbackrestTooOld } from '../backup/versions.js';
import type { NodeRole } from '../database/node-info.js';
import type { Check, Severity } from './severity.js';

/**
 * Backups, as pgBackRest reports them: is the installed pgBackRest able to read this server at
 * all, and how old is the newest full or differential backup. Checked only where archive_command
 * hands WAL to pgBackRest (its --stanza and --config are read from it), so a node that does not
 * use pgBackRest is not judged by it. The repository is shared by both nodes; a standby reports
 * what it sees as warnings, the primary as CRITICAL.
 */
export interface BackupLimits {
  /** The newest full or differential backup may be this old (hours). */
  maxBackupAgeHours: number;
}

/** A weekly full and daily differential schedule leaves at most a day between backups; 36 h allows a slow or late one. */
export const DEFAULT_MAX_BACKUP_AGE_HOURS = 36;

export interface PgbackrestUse {
  stanza: string;
  configFile?: string;
}

/** `pgbackrest [--config=F] --stanza=S archive-push %p` → { stanza, configFile }; undefined when the command is not pgBackRest's. */
export function pgbackrestUseOf(archiveCommand: string): PgbackrestUse | undefined {
  if (!/(^|[\s/])pgbackrest\s/.test(archiveCommand) || !/\barchive-push\b/.test(archiveCommand)) return undefined;
  const stanza = /--stanza[= ]([^\s'"]+)/.exec(archiveCommand)?.[1];
  const config = /--config[= ]([^\s'"]+)/.exec(archiveCommand)?.[1];
  if (!stanza) return undefined;
  return { stanza, ...(config ? { configFile: config } : {}) };
}

export interface BackupState {
  use: PgbackrestUse;
  /** undefined: pgbackrest is not installed on this node. */
  version: string | undefined;
  info: StanzaInfo | undefined;
}

/** What pgBackRest says; undefined when archive_command does not use it. */
export async function readBackupState(archiveCommand: string): Promise<BackupState | undefined> {
  const use = pgbackrestUseOf(archiveCommand);
  if (!use) return undefined;
  const version = await pgbackrestVersion();
  const info = version === undefined ? undefined : await stanzaInfo(use.stanza, { configFile: use.configFile, timeoutMs: 60_000 });
  return { use, version, info };
}

export function evaluateBackups(state: BackupState, role: NodeRole, pgMajor: number, limits: BackupLimits, nowMs: number): Check[] {
  const problem: Severity = role === 'primary' ? 'critical' : 'warning';
  const stanza = state.use.stanza;
  if (state.version === undefined) {
    return [
      {
        id: 'pgbackrest.version',
        severity: problem,
        summary: `archive_command runs pgbackrest, which is not installed here: every archive-push fails; install Debian's pgbackrest package`,
        data: { installed: false },
      },
    ];
  }
  const checks: Check[] = [];
  const tooOld = pgbackrestTooOld(state.version, pgMajor);
  checks.push(
    tooOld
      ? {
          id: 'pgbackrest.version',
          severity: problem,
          summary: `${tooOld}: archive-push, backup and restore all refuse this server; install a newer pgBackRest (the rendered settings stay the same)`,
          data: { installed: state.version, pgMajor },
        }
      : { id: 'pgbackrest.version', severity: 'ok', summary: `pgBackRest ${state.version}`, data: { installed: state.version, pgMajor } },
  );
  const info = state.info!;
  const fullOrDiff = info.backup.filter((b) => b.type === 'full' || b.type === 'diff');
  const newest = fullOrDiff.reduce<(typeof fullOrDiff)[number] | undefined>(
    (a, b) => (a === undefined || b.timestamp.stop > a.timestamp.stop ? b : a),
    undefined,
  );
  const data = {
    stanza,
    status: info.status,
    backups: info.backup.length,
    newest: newest ? { label: newest.label, type: newest.type, stoppedAt: new Date(newest.timestamp.stop * 1000).toISOString() } : null,
    limitHours: limits.maxBackupAgeHours,
  };
  if (info.status.code !== 0 && info.status.code !== 2) {
    checks.push({
      id: 'backup.age',
      severity: problem,
      summary: `pgBackRest stanza ${stanza}: ${info.status.message}; create it once on the primary: pgbackrest --stanza=${stanza} stanza-create`,
      data,
    });
  } else if (newest === undefined) {
    checks.push({
      id: 'backup.age',
      severity: problem,
      summary: `pgBackRest stanza ${stanza} has no full or differential backup: take one on the primary (pgbackrest --stanza=${stanza} --type=full backup)`,
      data,
    });
  } else {
    const ageHours = (nowMs - newest.timestamp.stop * 1000) / 3_600_000;
    const old = ageHours > limits.maxBackupAgeHours;
    checks.push({
      id: 'backup.age',
      severity: old ? problem : 'ok',
      summary: `newest ${newest.type} backup ${newest.label} finished ${ageHours.toFixed(1)} h ago${old ? ` (limit ${limits.maxBackupAgeHours} h): are the backup timers running on the primary? (systemctl list-timers 'voipdb-backup*')` : ''}`,
      data: { ...data, ageHours },
    });
  }
  return checks;
}

import type pg from 'pg';
import { type NodeRole, readNodeInfo } from '../database/node-role.js';
import { readInvalidIndexes } from '../database/invalid-indexes.js';
import { migrationStatus } from '../engine/operations.js';
import { describeRoles } from '../roles/index.js';
import { evaluateInvalidIndexes, MANAGED_SCHEMAS } from './index-health.js';
import { expectedPrimarySlots, expectedStandbySlot } from './layout.js';
import { evaluateMigrations } from './migration-health.js';
import { checkPeers, type PeerCheckOptions } from './peer-health.js';
import {
  evaluateReplication,
  evaluateSettings,
  evaluateSlots,
  readReplication,
  readReplicationSettings,
  readSlots,
} from './primary-health.js';
import { DEFAULT_MAX_BACKUP_AGE_HOURS, evaluateBackups, readBackupState } from './backup-health.js';
import { evaluateRewind, readRewindSettings } from './rewind-health.js';
import { evaluateRoles } from './role-health.js';
import { NAGIOS_CODE, type Check, type Severity, worstSeverity } from './severity.js';
import { evaluateStandby, readStandbyState, type StandbyState } from './standby-health.js';
import { DEFAULT_THRESHOLDS, type LagThresholds, PLATFORM_SLOT } from './thresholds.js';
import { DEFAULT_MAX_READY_WAL, evaluateWalArchive, readWalArchiveState } from './wal-archive-health.js';

export interface DoctorOptions extends Partial<LagThresholds> {
  /** When given, pending migrations and checksum mismatches are checked against this folder. */
  migrationsDir?: string;
  /**
   * Slots a primary must have; on a standby, the expected primary_slot_name. Default: learned from
   * the node (src/doctor/layout.ts), so both the usual and the promoted layout read OK.
   */
  expectedSlots?: string[];
  /** With the topology: ask the other node(s) too (split brain, fencing; src/doctor/split-brain.ts). */
  peers?: PeerCheckOptions;
  /** More .ready WAL files than this is CRITICAL where the node archives (default DEFAULT_MAX_READY_WAL). */
  maxReadyWal?: number;
  /** The newest full or differential pgBackRest backup may be this old (default DEFAULT_MAX_BACKUP_AGE_HOURS). */
  maxBackupAgeHours?: number;
}

export interface DoctorReport {
  node: { role: NodeRole; serverVersion: string };
  thresholds: LagThresholds;
  checks: Check[];
  severity: Severity;
  /** Nagios plugin exit code: 0 ok, 1 warning, 2 critical, 3 unknown. */
  exitCode: 0 | 1 | 2 | 3;
}

/**
 * `db doctor`: the health of ONE node (the one `client` is connected to), as the platform
 * needs it — replication on a primary or on a standby, WAL archiving and backups, the platform
 * roles, the migrations.
 * Reads only, so it runs the same on both nodes. A group of checks that cannot be read (missing
 * privilege, an older server) becomes one UNKNOWN check naming the reason; the others still run.
 */
export async function runDoctor(client: pg.ClientBase, options: DoctorOptions = {}): Promise<DoctorReport> {
  const thresholds: LagThresholds = {
    maxLagBytes: options.maxLagBytes ?? DEFAULT_THRESHOLDS.maxLagBytes,
    maxLagSeconds: options.maxLagSeconds ?? DEFAULT_THRESHOLDS.maxLagSeconds,
  };
  const node = await readNodeInfo(client);
  const checks: Check[] = [];
  const group = async (id: string, fn: () => Promise<Check[]>): Promise<void> => {
    try {
      checks.push(...(await fn()));
    } catch (error) {
      checks.push({
        id,
        severity: 'unknown',
        summary: `could not check ${id}: ${(error as Error).message}`,
        data: { sqlState: (error as { code?: string }).code ?? null },
      });
    }
  };

  if (node.role === 'primary') {
    let slotsRead: Awaited<ReturnType<typeof readSlots>> | undefined;
    let expectedSlots = options.expectedSlots ?? [PLATFORM_SLOT];
    await group('slots', async () => {
      slotsRead = await readSlots(client);
      expectedSlots = options.expectedSlots ?? expectedPrimarySlots(slotsRead);
      return evaluateSlots(slotsRead, expectedSlots);
    });
    await group('settings', async () => {
      const settings = await readReplicationSettings(client);
      return evaluateSettings(settings, { slotExists: (slotsRead ?? []).length > 0 });
    });
    await group('standbys', async () => evaluateReplication(await readReplication(client), thresholds, expectedSlots.length > 0));
  } else {
    await group('standby', async () => {
      const state = await readStandbyStateSettled(client, thresholds);
      return evaluateStandby(state, thresholds, options.expectedSlots?.[0] ?? expectedStandbySlot(state.primarySlotName));
    });
  }
  const peers = options.peers;
  if (peers !== undefined) await group('peer', async () => checkPeers(client, peers));
  let archiveCommand = '';
  await group('archive', async () => {
    const state = await readWalArchiveState(client);
    archiveCommand = state.archiveCommand;
    return evaluateWalArchive(state, node.role, { maxReadyWal: options.maxReadyWal ?? DEFAULT_MAX_READY_WAL });
  });
  await group('backup', async () => {
    const state = await readBackupState(archiveCommand);
    if (!state) return [];
    const limits = { maxBackupAgeHours: options.maxBackupAgeHours ?? DEFAULT_MAX_BACKUP_AGE_HOURS };
    return evaluateBackups(state, node.role, Math.floor(node.serverVersionNum / 10000), limits, Date.now());
  });
  await group('rewind', async () => evaluateRewind(await readRewindSettings(client)));
  await group('roles', async () => evaluateRoles(await describeRoles(client)));
  await group('indexes', async () => [evaluateInvalidIndexes(await readInvalidIndexes(client, MANAGED_SCHEMAS))]);
  if (options.migrationsDir !== undefined) {
    const dir = options.migrationsDir;
    await group('migrations', async () => evaluateMigrations(await migrationStatus(client, dir)));
  }

  const severity = worstSeverity(checks.map((c) => c.severity));
  return {
    node: { role: node.role, serverVersion: node.serverVersion },
    thresholds,
    checks: sortChecks(checks),
    severity,
    exitCode: NAGIOS_CODE[severity],
  };
}

/**
 * Time lag is "now − the last replayed commit" while WAL waits for replay. Right after a long idle
 * spell the first new record makes that the whole idle time for the few milliseconds until it is
 * replayed. So an over-limit time lag is measured once more, shortly after, and only a lag that is
 * still there counts: replay that is really stuck or slow stays over the limit.
 */
const TIME_LAG_RECHECK_MS = 300;

async function readStandbyStateSettled(client: pg.ClientBase, thresholds: LagThresholds): Promise<StandbyState> {
  const first = await readStandbyState(client);
  if (first.lagSeconds === null || first.lagSeconds <= thresholds.maxLagSeconds) return first;
  await new Promise((resolve) => setTimeout(resolve, TIME_LAG_RECHECK_MS));
  return readStandbyState(client);
}

/** Split brain and fencing first, then settings, replication, roles, migrations, indexes: the order an operator reads them in. */
function sortChecks(checks: Check[]): Check[] {
  const order = [
    'split_brain',
    'fence',
    'peer',
    'setting',
    'slot',
    'slots',
    'settings',
    'standby',
    'standbys',
    'archive',
    'pgbackrest',
    'backup',
    'role',
    'roles',
    'migrations',
    'indexes',
  ];
  const rank = (c: Check): number => {
    const i = order.indexOf(c.id.split('.')[0]!);
    return i < 0 ? order.length : i;
  };
  return checks
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map(({ c }) => c);
}

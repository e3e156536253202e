import type pg from 'pg';
import { readStandbyState } from '../doctor/standby-health.js';
import { formatBytes } from '../doctor/size.js';
import type { LagThresholds } from '../doctor/thresholds.js';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { withConnection } from '../database/connect.js';
import { readNodeInfo } from '../database/node-role.js';
import { UsageError } from '../errors.js';
import { parseConninfo } from './conninfo.js';
import { OldPrimaryAnswersError, PromoteFailedError, PromoteLagTooHighError, WrongNodeRoleError } from './errors.js';
import { postgresAnswers } from './liveness.js';
import type { PromoteFindings } from './promote-findings.js';
import { ensurePhysicalSlot } from './slots.js';

export type { PromoteFindings } from './promote-findings.js';

export interface PromoteOptions {
  standby: ConnectionConfig;
  thresholds: LagThresholds;
  /** Promote even when a check fails (each overridden check is listed in the result). */
  force?: boolean;
  /** Where the old primary listens; default: the host(s) and port of the standby's primary_conninfo. */
  oldPrimary?: { host: string; port: number };
  /**
   * A planned switchover has already made the old primary a standby and checked it in SQL: that it
   * answers is then expected, not a second primary (src/failover/switchover.ts).
   */
  oldPrimaryIsStandby?: boolean;
  /** The slot the old primary will stream through once rejoined; default: derived from this node's own slot name. */
  rejoinSlot?: string;
  /** The slots of every node in the topology file: the rejoin slot is the one that is not this standby's own. */
  topologySlots?: string[];
  /** How long pg_promote waits (default 60 s). */
  waitSeconds?: number;
  probeTimeoutMs?: number;
}

export interface PromoteResult {
  findings: PromoteFindings;
  promoted: true;
  /** Checks that failed and were overridden with --force. */
  forced: string[];
  slot: { name: string; created: boolean };
  timeline: number | null;
}

/**
 * `db promote`: turns the hot standby into the primary, after checking the two things that make
 * a failover go wrong — replay that has not caught up with what was received (promotion would
 * wait for it, or was asked for too early) and an old primary that still answers (two primaries
 * accepting writes). Either refuses unless forced. Then pg_promote(wait => true), and the slot the
 * old primary will stream through once it rejoins as a standby.
 */
export async function promoteStandby(options: PromoteOptions): Promise<PromoteResult> {
  const where = describeConnection(options.standby);
  return withConnection(options.standby, async (client) => {
    const findings = await inspect(client, options, where);
    const forced: string[] = [];
    if (!findings.lag.withinLimits) {
      const error = new PromoteLagTooHighError(
        lagText(findings.lag),
        `${formatBytes(options.thresholds.maxLagBytes)}, ${options.thresholds.maxLagSeconds} s`,
        findings,
      );
      if (!options.force) throw error;
      forced.push(error.message);
    }
    if (findings.oldPrimary.answers && !options.oldPrimaryIsStandby) {
      const answering = findings.oldPrimary.hosts.filter((h) => h.answers).map((h) => hostPort(h));
      const error = new OldPrimaryAnswersError(answering.join(', '), findings);
      if (!options.force) throw error;
      forced.push(error.message);
    }

    const waitSeconds = options.waitSeconds ?? 60;
    const { rows } = await client.query<{ done: boolean }>('SELECT pg_promote(wait => true, wait_seconds => $1) AS done', [waitSeconds]);
    if (!rows[0]!.done) {
      throw new PromoteFailedError(
        `pg_promote did not finish within ${waitSeconds} s on ${where}; the standby may still be replaying, or promoting`,
        'read the server log; `db status` says when it reports primary; run `db promote` again to create the slot',
      );
    }
    // A promoted node keeps its old primary_conninfo, harmless but misleading; the slot name would be wrong after a rejoin.
    await client.query('ALTER SYSTEM RESET primary_conninfo');
    await client.query('ALTER SYSTEM RESET primary_slot_name');
    await client.query('SELECT pg_reload_conf()');
    const created = await ensurePhysicalSlot(client, findings.rejoinSlot);
    // The timeline of the WAL being written now: pg_control's checkpoint still names the old one
    // until the first checkpoint after the promotion.
    const timeline = await client
      .query<{ tli: number }>("SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS tli")
      .then((r) => r.rows[0]?.tli ?? null)
      .catch(() => null);
    return { findings, promoted: true, forced, slot: { name: findings.rejoinSlot, created }, timeline };
  });
}

async function inspect(client: pg.Client, options: PromoteOptions, where: string): Promise<PromoteFindings> {
  const node = await readNodeInfo(client);
  if (node.role !== 'standby') {
    throw new WrongNodeRoleError(
      'NODE_NOT_STANDBY',
      `refusing to promote ${where}: it is already a primary (pg_is_in_recovery() is false); nothing was changed`,
      'promote the standby: `db promote --url <standby>`; `db status` shows each node’s role',
    );
  }
  const state = await readStandbyState(client);
  const withinLimits =
    (state.lagBytes === null || state.lagBytes <= options.thresholds.maxLagBytes) &&
    (state.lagSeconds === null || state.lagSeconds <= options.thresholds.maxLagSeconds);

  const conninfoText = (await client.query<{ v: string }>("SELECT current_setting('primary_conninfo') AS v")).rows[0]!.v;
  let targets: Array<{ host: string; port: number }>;
  let source: PromoteFindings['oldPrimary']['source'];
  if (options.oldPrimary) {
    targets = [options.oldPrimary];
    source = 'flag';
  } else {
    targets = hostsOf(conninfoText);
    source = 'primary_conninfo';
    if (targets.length === 0) {
      throw new UsageError(
        `cannot tell where the old primary is: ${where} has no host in primary_conninfo; nothing was changed`,
        'pass --old-primary <host:port> so that promote can check it is down',
      );
    }
  }
  const probed = await Promise.all(
    targets.map(async (t) => ({ ...t, answers: await postgresAnswers(t.host, t.port, options.probeTimeoutMs ?? 2000) })),
  );
  return {
    standby: where,
    serverVersion: node.serverVersion,
    lag: {
      receiveLsn: state.receiveLsn,
      replayLsn: state.replayLsn,
      lagBytes: state.lagBytes,
      lagSeconds: state.lagSeconds,
      lastReplayAt: state.lastReplayAt,
      withinLimits,
    },
    oldPrimary: { hosts: probed, source, answers: probed.some((p) => p.answers) },
    rejoinSlot: options.rejoinSlot ?? rejoinSlotFor(state.primarySlotName, where, options.topologySlots),
  };
}

/** host=a,b port=5432 → both; libpq's defaults for what is missing. Unix-socket paths are left out (not reachable over TCP). */
function hostsOf(conninfo: string): Array<{ host: string; port: number }> {
  const parsed = parseConninfo(conninfo);
  if (!parsed) return [];
  const hosts = (parsed.hostaddr ?? parsed.host ?? '').split(',').filter((h) => h !== '' && !h.startsWith('/'));
  const ports = (parsed.port ?? '5432').split(',').map(Number);
  return hosts.map((host, i) => ({ host, port: ports[ports.length === 1 ? 0 : i] ?? 5432 }));
}

/**
 * The platform's two nodes stream through `<node>_slot`: the standby node2 uses node2_slot, so the
 * old primary, node1, will use node1_slot once it rejoins (and the reverse after a failback).
 */
export function rejoinSlotFor(ownSlot: string, where: string, topologySlots?: string[]): string {
  const others = topologySlots?.filter((slot) => slot !== ownSlot) ?? [];
  if (others.length === 1) return others[0]!;
  if (ownSlot === 'node2_slot') return 'node1_slot';
  if (ownSlot === 'node1_slot') return 'node2_slot';
  throw new UsageError(
    `cannot tell which slot the old primary will use: ${where} streams through ${ownSlot ? `slot ${ownSlot}` : 'no slot'}, not node1_slot or node2_slot; nothing was changed`,
    'name it: --rejoin-slot <name>_slot, or --topology <file> (the old primary’s name gives the slot)',
  );
}

function lagText(lag: PromoteFindings['lag']): string {
  return `replay is ${lag.lagBytes === null ? '?' : formatBytes(lag.lagBytes)} and ${(lag.lagSeconds ?? 0).toFixed(1)} s behind what this standby received`;
}

function hostPort(h: { host: string; port: number }): string {
  return h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
}

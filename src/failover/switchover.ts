import type pg from 'pg';
import type { LagThresholds } from '../doctor/thresholds.js';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { withConnection } from '../database/connect.js';
import { readNodeInfo } from '../database/node-role.js';
import { slotNameFor } from '../topology/types.js';
import { SwitchoverRefusedError, SwitchoverUndoneError, WrongNodeRoleError } from './errors.js';
import { dataDirOf, type FailoverNode } from './failover-node.js';
import { clearFence, hasStandbySignal, ownerOf, readFence, restartPostgres } from './fence.js';
import { promoteStandby } from './promote.js';
import { recordPromotion } from './promotion-record.js';
import type { PromotionState } from './state.js';
import { writeStandbyConfig } from './standby-config.js';

/** How long the checks wait for the standby to report streaming and its replay position. */
const STREAM_REPORT_WAIT_MS = 11_000;
/** How long the restarted old primary may take to answer as a standby (a fast shutdown and a start). */
const RESTART_TIMEOUT_MS = 60_000;
/**
 * How long the peer may take to replay the old primary's last WAL (its shutdown checkpoint) once
 * the old primary is down. The walsender sends it before the postmaster exits, so this is replay
 * time only; past it the switchover is undone. Must stay below HANDOVER_HOLD_MS (health.ts).
 */
export const CATCH_UP_TIMEOUT_MS = 10_000;

export interface SwitchoverOptions {
  /** This node: the current primary. */
  node: FailoverNode;
  /** This node's PostgreSQL, as a superuser. */
  local: ConnectionConfig;
  /** The peer's PostgreSQL (the standby to promote), as a superuser or a role allowed pg_promote. */
  peer: ConnectionConfig;
  thresholds: LagThresholds;
  onStep?: (message: string) => void;
}

export interface SwitchoverResult {
  oldPrimary: string;
  newPrimary: string;
  /** Where the old primary's WAL ended (its shutdown checkpoint), replayed by the new primary before it was promoted. */
  handedOverAt: string;
  timeline: number | null;
  slot: { name: string; created: boolean };
}

/**
 * A planned switchover, run on the primary: the peer becomes the primary and this node its
 * standby, with no write lost and never two primaries.
 * 1. Checks: this node is an unfenced primary, the peer a standby of the same cluster streaming
 *    from it within the lag limits. Otherwise nothing is changed.
 * 2. This node is made a standby of the peer (standby.signal, primary_conninfo, its slot) and
 *    restarted: the fast shutdown ends every write, and the walsender sends all WAL, up to the
 *    shutdown checkpoint, before the postmaster exits. From here on any start of this node is a
 *    standby start.
 * 3. The peer must replay up to where this node's WAL ends, else the switchover is undone (this
 *    node is the primary again) and says so.
 * 4. The peer is promoted (pg_promote), and this node follows its new timeline.
 * Keepalived: this node keeps the VIP while it hands over (health.ts, handing-over), then gives it
 * up (switched-over): the VIP moves once, to the new primary.
 */
export async function switchover(options: SwitchoverOptions): Promise<SwitchoverResult> {
  const { node, local, peer } = options;
  const step = options.onStep ?? (() => undefined);
  const dataDir = dataDirOf(node, 'switchover');
  const self = node.self.name;
  const peerName = node.peer.name;
  const localWhere = describeConnection(local);
  const peerWhere = describeConnection(peer);

  await preflight(options, dataDir, localWhere, peerWhere);
  step(`${self} is the primary and ${peerName} streams from it within the limits`);

  await record(node, 'handing-over', `switching over to ${peerName}`);
  const owner = process.getuid?.() === 0 ? await ownerOf(dataDir) : undefined;
  await writeStandbyConfig(
    dataDir,
    {
      primaryHost: node.peer.address,
      primaryPort: node.topology.database.port,
      replicationUser: node.topology.roles.replicator,
      passfile: node.topology.secrets.replicatorPassfile,
      applicationName: self,
      slotName: slotNameFor(node.self),
    },
    owner,
  );
  step(`wrote standby.signal and primary_conninfo for ${peerName} (${node.peer.address}) in ${dataDir}`);
  await restartPostgres(node, dataDir);
  const endLsn = await waitForStandby(local, localWhere);
  step(`${self} restarted as a standby; its WAL ends at ${endLsn}`);

  const caughtUp = await waitForReplay(peer, endLsn);
  if (!caughtUp.ok) {
    await undo(node, dataDir);
    const reason = `${peerName} did not replay ${self}'s WAL up to ${endLsn} within ${CATCH_UP_TIMEOUT_MS} ms (at ${caughtUp.replayLsn ?? 'unknown'})`;
    await record(node, 'refused', `switchover undone: ${reason}`);
    throw new SwitchoverUndoneError(`${reason}; ${self} is the primary again and ${peerName} was not promoted`);
  }
  step(`${peerName} replayed everything ${self} wrote (up to ${endLsn})`);

  const promoted = await promoteStandby({
    standby: peer,
    thresholds: options.thresholds,
    oldPrimary: { host: node.self.address, port: node.topology.database.port },
    oldPrimaryIsStandby: true,
    topologySlots: node.topology.nodes.map(slotNameFor),
    probeTimeoutMs: node.settings.probeTimeoutMs * 2,
  });
  // The slot the peer streamed through from this node would now hold WAL here for nobody (a
  // standby keeps its slots); the promotion made this node's own slot on the peer instead.
  const peerSlot = slotNameFor(node.peer);
  const dropped = await withConnection(local, async (c) => {
    const { rowCount } = await c.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
      [peerSlot],
    );
    return (rowCount ?? 0) > 0;
  });
  if (dropped) step(`dropped slot ${peerSlot} here (${peerName} no longer streams from ${self})`);
  const summary = `${peerName} promoted${promoted.timeline ? ` (timeline ${promoted.timeline})` : ''}; ${self} follows it as a standby`;
  await record(node, 'switched-over', summary);
  step(summary);
  return {
    oldPrimary: localWhere,
    newPrimary: peerWhere,
    handedOverAt: endLsn,
    timeline: promoted.timeline,
    slot: promoted.slot,
  };
}

async function preflight(options: SwitchoverOptions, dataDir: string, localWhere: string, peerWhere: string): Promise<void> {
  const { node, local, peer, thresholds } = options;
  const refuse = (why: string, hint: string): never => {
    throw new SwitchoverRefusedError(`refusing to switch over: ${why}; nothing was changed`, hint);
  };
  const here = await withConnection(local, async (c) => ({ info: await readNodeInfo(c), sysid: await systemId(c) }));
  if (here.info.role !== 'primary') {
    throw new WrongNodeRoleError(
      'NODE_NOT_PRIMARY',
      `refusing to switch over: ${localWhere} is a hot standby; nothing was changed`,
      'run `db failover switchover` on the primary',
    );
  }
  const fence = await readFence(dataDir);
  if (fence) refuse(`${node.self.name} is fenced (${fence.reason})`, 'let the watch lift the fence (`db failover status`), then run again');
  if (await hasStandbySignal(dataDir))
    refuse(`${dataDir} holds standby.signal`, `check --node: ${node.self.name} is not running as the primary here`);
  const there = await withConnection(peer, async (c) => ({ info: await readNodeInfo(c), sysid: await systemId(c) })).catch((error: Error) =>
    refuse(
      `cannot reach ${node.peer.name} at ${peerWhere} (${error.message})`,
      'a switchover needs the standby up and streaming: start it, or check --peer-url',
    ),
  );
  if (there.info.role !== 'standby') {
    refuse(`${peerWhere} is a primary too (split brain)`, 'run `db doctor --topology` on both nodes and follow what it names');
  }
  if (there.sysid !== here.sysid) {
    refuse(`${peerWhere} is another cluster (system identifier ${there.sysid}, this one ${here.sysid})`, 'check --peer-url');
  }
  // A standby that has just (re)connected reports its replay position within a status interval
  // (wal_receiver_status_interval, 10 s by default; sooner once it replays): wait for it that long.
  const deadline = Date.now() + STREAM_REPORT_WAIT_MS;
  let stream: { state: string; lag: string | null } | undefined;
  for (;;) {
    stream = await withConnection(local, async (c) => {
      const { rows } = await c.query<{ state: string; lag: string | null }>(
        'SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint::text AS lag FROM pg_stat_replication WHERE application_name = $1',
        [node.peer.name],
      );
      return rows[0];
    });
    if ((stream?.state === 'streaming' && stream.lag !== null) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (stream?.state !== 'streaming') {
    refuse(
      `${node.peer.name} is not streaming from ${node.self.name} (${stream ? stream.state : 'not connected'})`,
      '`db doctor` on both nodes says why; a switchover needs the standby connected, to hand over every write',
    );
  }
  if (stream!.lag === null) {
    refuse(`${node.peer.name} streams but has not reported what it replayed`, 'run again in a few seconds');
  }
  const lagBytes = Number(stream!.lag);
  if (lagBytes > thresholds.maxLagBytes) {
    refuse(`${node.peer.name} replays ${lagBytes} bytes behind, over ${thresholds.maxLagBytes}`, 'wait for it to catch up, then run again');
  }
}

async function systemId(c: pg.ClientBase): Promise<string> {
  return (await c.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()')).rows[0]!.id;
}

/** Waits for the restarted node to answer as a standby; returns where its WAL ends (what the peer must replay). */
async function waitForStandby(local: ConnectionConfig, where: string): Promise<string> {
  const deadline = Date.now() + RESTART_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const row = await withConnection({ ...local, connectTimeoutMs: 2000 }, async (c) => {
        const { rows } = await c.query<{ standby: boolean; lsn: string | null }>(
          'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn',
        );
        return rows[0]!;
      });
      if (row.standby && row.lsn) return row.lsn;
      last = row.standby ? 'a standby that has replayed nothing yet' : 'a primary';
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new SwitchoverUndoneError(
    `${where} did not come back as a standby within ${RESTART_TIMEOUT_MS} ms (${last}); the peer was not promoted, and this node's data directory holds standby.signal`,
  );
}

async function waitForReplay(peer: ConnectionConfig, lsn: string): Promise<{ ok: boolean; replayLsn: string | null }> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  let replayLsn: string | null = null;
  while (Date.now() < deadline) {
    const row = await withConnection(peer, async (c) => {
      const { rows } = await c.query<{ lsn: string | null; done: boolean }>(
        'SELECT pg_last_wal_replay_lsn()::text AS lsn, pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
        [lsn],
      );
      return rows[0]!;
    });
    replayLsn = row.lsn;
    if (row.done) return { ok: true, replayLsn };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ok: false, replayLsn };
}

/** The peer never got this node's last WAL: this node becomes the primary again (the peer was not promoted, so it is the only one). */
async function undo(node: FailoverNode, dataDir: string): Promise<void> {
  await clearFence(dataDir);
  await restartPostgres(node, dataDir);
}

async function record(node: FailoverNode, outcome: PromotionState['outcome'], reason: string): Promise<void> {
  await recordPromotion(node, 'switchover', outcome, reason, outcome === 'refused' ? 'err' : 'notice');
}

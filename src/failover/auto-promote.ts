import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DEFAULT_THRESHOLDS } from '../doctor/thresholds.js';
import type { ConnectionConfig } from '../config/connection.js';
import { withConnection } from '../database/connect.js';
import { readNodeInfo } from '../database/node-role.js';
import { isVoipdbError } from '../errors.js';
import { processAlive } from '../local/process-alive.js';
import { slotNameFor } from '../topology/types.js';
import { bootId, monotonicMs } from './clock.js';
import type { FailoverNode } from './failover-node.js';
import { readFence } from './fence.js';
import { staleAfterMs } from '../topology/failover.js';
import { postgresAnswers } from './liveness.js';
import { promoteStandby } from './promote.js';
import { recordPromotion } from './promotion-record.js';
import { type PromotionState, readState, type WatchState } from './state.js';
import { logDecision } from './syslog.js';

/** How often the promotion's wait probes the old primary itself. */
const WAIT_PROBE_MS = 100;

/**
 * The automatic promotion of a standby that holds the VIP, started by the watch (watch.ts), at
 * most one at a time per node: a lock file holding the pid keeps out a second watch (a restart
 * overlapping the old one), and the other returns undefined.
 */
export async function promoteOnce(
  node: FailoverNode,
  local: ConnectionConfig,
  holdsVip: () => Promise<boolean>,
): Promise<PromotionState | undefined> {
  const name = node.self.name;
  const lock = path.join(node.settings.stateDir, `${name}.promotion.lock`);
  if (!(await takeLock(lock))) {
    await logDecision(name, 'promote', 'notice', 'a promotion of this node is already running');
    return undefined;
  }
  try {
    return await promoteWhenSafe(node, local, holdsVip);
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/**
 * The automatic promotion. In order: the local server must be a standby that is not fenced; the
 * old primary must stay silent until promoteAfterMs has passed since this node's last contact with
 * it (the watch's record, so the wait overlaps Keepalived's own detection), and an answer at any
 * point refuses at once; the witness must have answered within the lease (a node cut off from the
 * network does not promote itself); this node must still hold the VIP; then `db promote`'s own
 * checks (replay lag within 10MB / 5 s, old primary not answering) and pg_promote.
 * `holdsVip` says whether this node still holds the VIP (Keepalived's record, or the interfaces).
 */
async function promoteWhenSafe(node: FailoverNode, local: ConnectionConfig, holdsVip: () => Promise<boolean>): Promise<PromotionState> {
  const { settings, self, peer, topology } = node;
  const port = topology.database.port;
  const oldPrimary = `${peer.name} (${peer.address}:${port})`;
  let role: string;
  try {
    role = (await withConnection({ ...local, connectTimeoutMs: 2000 }, readNodeInfo)).role;
  } catch (error) {
    return record(node, 'refused', `the local PostgreSQL does not answer (${(error as Error).message})`, 'err');
  }
  if (role === 'primary') return record(node, 'skipped', 'already the primary', 'notice');
  const dataDir = node.own.dataDir;
  const fence = dataDir ? await readFence(dataDir) : undefined;
  if (fence) return record(node, 'refused', `this node is fenced (${fence.reason}); it may not be promoted by itself`, 'err');

  const startMs = monotonicMs();
  await record(node, 'waiting', `waiting until ${oldPrimary} has been silent for ${settings.promoteAfterMs} ms`, 'notice');
  for (;;) {
    if (await postgresAnswers(peer.address, port, settings.probeTimeoutMs)) {
      return record(node, 'refused', `the old primary ${oldPrimary} answers: not promoting (two primaries would accept writes)`, 'err');
    }
    if (!(await holdsVip())) return record(node, 'skipped', 'Keepalived took the VIP away before the wait ended', 'notice');
    const watch = await readState<WatchState>(settings.stateDir, self.name, 'watch');
    const fresh = watch && watch.bootId === bootId() && monotonicMs() - watch.atMs <= staleAfterMs(settings.probeIntervalMs);
    // Without the watch's record, the wait starts now: this run's own probes are the only contact known.
    const lastContact = fresh && watch.lastPeerContactMs !== null ? watch.lastPeerContactMs : startMs;
    const silentMs = monotonicMs() - lastContact;
    if (silentMs >= settings.promoteAfterMs) {
      const witnessSince = fresh && watch.lastWitnessContactMs !== null ? monotonicMs() - watch.lastWitnessContactMs : null;
      if (witnessSince === null || witnessSince > settings.leaseMs) {
        return record(
          node,
          'refused',
          `the witness ${watch?.witness ?? '(default gateway)'} has not answered ${witnessSince === null ? 'lately' : `for ${witnessSince} ms`}: this node may be the isolated one`,
          'err',
        );
      }
      break;
    }
    await new Promise((r) => setTimeout(r, WAIT_PROBE_MS));
  }

  try {
    const result = await promoteStandby({
      standby: local,
      thresholds: DEFAULT_THRESHOLDS,
      oldPrimary: { host: peer.address, port },
      topologySlots: topology.nodes.map(slotNameFor),
      probeTimeoutMs: settings.probeTimeoutMs * 2,
    });
    return record(
      node,
      'promoted',
      `promoted: ${oldPrimary} silent for over ${settings.promoteAfterMs} ms, lag within limits${result.timeline ? `, now timeline ${result.timeline}` : ''}; slot ${result.slot.name} kept for its rejoin`,
      'notice',
    );
  } catch (error) {
    const why = isVoipdbError(error) ? `${error.code}: ${error.message}` : String(error);
    return record(node, 'refused', why, 'err');
  }
}

function record(node: FailoverNode, outcome: PromotionState['outcome'], reason: string, level: 'notice' | 'err'): Promise<PromotionState> {
  return recordPromotion(node, 'promote', outcome, reason, level);
}

/** An exclusive lock file holding our pid; one left by a dead process is taken over. */
async function takeLock(file: string): Promise<boolean> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      const pid = Number(await fs.readFile(file, 'utf8').catch(() => ''));
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) return false;
      await fs.rm(file, { force: true });
    }
  }
  return false;
}

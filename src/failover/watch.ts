import type pg from 'pg';
import type { ConnectionConfig } from '../config/connection.js';
import { connect } from '../database/connect.js';
import { runningPid } from '../local/cluster.js';
import { bootId, monotonicMs } from './clock.js';
import { readSystemIdentifier } from '../local/data-dir.js';
import { dataDirOf, type FailoverNode } from './failover-node.js';
import { clearFence, hasStandbySignal, readFence, restartPostgres, writeFence } from './fence.js';
import { postgresAnswers } from './liveness.js';
import { askPeer, peerReplicationConfig } from './peer.js';
import { staleAfterMs } from '../topology/failover.js';
import { verdictFile } from '../topology/verdict-check.js';
import { promoteOnce } from './auto-promote.js';
import { recordPromotion } from './promotion-record.js';
import { addressConfigured } from './vip.js';
import { judgeHealth } from './health.js';
import { type PromotionState, readState, type VrrpState, type WatchState, writeState } from './state.js';
import { writeVerdict } from './verdict-file.js';
import { logDecision } from './syslog.js';
import { readDataDirTimeline } from './timeline.js';
import { WitnessMonitor } from './witness.js';

/** At most one question to the peer (a replication login) per this many ms while fenced. */
const UNFENCE_ASK_EVERY_MS = 2000;

/**
 * `db failover watch`: the lease keeper of one node, one round every probeIntervalMs.
 * - Probes the peer's PostgreSQL (a protocol handshake, probeTimeoutMs) and keeps the witness's
 *   ICMP replies (WitnessMonitor); records both, with the local role, in `<node>.watch.json`.
 * - Automatic mode, a node that may accept writes (a primary, or a postmaster that runs without
 *   standby.signal but does not answer): when neither peer nor witness answered for longer than
 *   leaseMs, fences itself (src/failover/fence.ts) — before the other node may promote, which waits
 *   promoteAfterMs since ITS last contact (the timing rule, src/topology/failover.ts).
 * - A fenced node (any mode) lifts its fence once the peer has answered for unfenceAfterMs without
 *   a break and says it is a standby of the same cluster on the same or an older timeline.
 * Runs until `signal` aborts.
 */
export interface WatchOptions {
  /**
   * Whether this node holds the VIP now. Default: the VIP is configured on one of its interfaces
   * (vip.ts), or Keepalived's last notify said MASTER. Tests that run both nodes on one host give
   * their own.
   */
  holdsVip?: () => boolean;
}

export async function runWatch(
  node: FailoverNode,
  local: ConnectionConfig,
  signal: AbortSignal,
  options: WatchOptions = {},
): Promise<void> {
  const dataDir = dataDirOf(node, 'watch');
  const { settings, self, peer, topology } = node;
  const port = topology.database.port;
  const witness = new WitnessMonitor(settings.witness, settings.probeIntervalMs);
  await witness.start();
  const startMs = monotonicMs();
  // Contacts recorded by an earlier watch of this boot still count (a restarted watch must not
  // forget that the peer has been silent); without any, the start counts as a contact: the boot
  // guard asked the peer before this node could start as a primary.
  const before = await readState<WatchState>(settings.stateDir, self.name, 'watch');
  const sameBoot = before?.bootId === bootId();
  let lastPeer = (sameBoot ? before?.lastPeerContactMs : null) ?? null;
  let peerSince: number | null = null;
  if (sameBoot && before?.lastWitnessContactMs) witness.lastContactMs = before.lastWitnessContactMs;
  let client: pg.Client | undefined;
  let lastDecision: string | null = null;
  let lastAskMs = 0;
  const vipHere = (vrrp: VrrpState | undefined): boolean =>
    options.holdsVip
      ? options.holdsVip()
      : addressConfigured(topology.vip.address) || (vrrp?.state === 'MASTER' && vrrp.bootId === bootId());
  let vipSince: number | null = null;
  let holdsVip = false;
  // The promotion the watch started (at most one; the lock in promoteOnce also keeps out notify's),
  // and the VIP tenure it was started for: one attempt per time the node takes the VIP.
  let promoting: Promise<unknown> | undefined;
  let attemptedFor: number | null = null;
  const decide = async (level: 'notice' | 'warning' | 'err', text: string): Promise<void> => {
    if (text === lastDecision) return;
    lastDecision = text;
    await logDecision(self.name, 'watch', level, text);
  };

  try {
    while (!signal.aborted) {
      const roundStart = monotonicMs();
      const [peerAnswers, sqlRole] = await Promise.all([
        postgresAnswers(peer.address, port, settings.probeTimeoutMs),
        (async () => {
          try {
            client ??= await connect({ ...local, connectTimeoutMs: settings.probeTimeoutMs * 4 });
            const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
            return rows[0]!.r ? ('standby' as const) : ('primary' as const);
          } catch {
            await client?.end().catch(() => undefined);
            client = undefined;
            return 'down' as const;
          }
        })(),
      ]);
      const now = monotonicMs();
      if (peerAnswers) {
        lastPeer = now;
        peerSince ??= now;
      } else peerSince = null;
      const fence = await readFence(dataDir);
      const standbySignal = await hasStandbySignal(dataDir);
      const running = (await runningPid(dataDir)) !== undefined;
      const mayWrite = sqlRole === 'primary' || (sqlRole === 'down' && running && !standbySignal);
      const lastContact = Math.max(lastPeer ?? startMs, witness.lastContactMs ?? startMs);
      const silentMs = now - lastContact;

      if (settings.mode === 'automatic' && mayWrite && !fence && silentMs > settings.leaseMs) {
        const reason = `no answer from ${peer.name} (${peer.address}:${port}) nor from the witness ${witness.address ?? '(none)'} for ${silentMs} ms, over the lease (${settings.leaseMs} ms): this node may be the isolated one`;
        await writeFence(dataDir, { by: 'lease', reason });
        await decide('err', `fenced: ${reason}; PostgreSQL restarts as a read-only standby`);
        await client?.end().catch(() => undefined);
        client = undefined;
        // standby.signal is written: whatever starts PostgreSQL next starts a standby, so a failed
        // restart is reported and the watch goes on (the next round sees the fence and waits).
        await restartPostgres(node, dataDir).catch((error) => decide('err', `fence restart failed: ${(error as Error).message}`));
      } else if (
        fence &&
        sqlRole === 'standby' &&
        peerSince !== null &&
        now - peerSince >= settings.unfenceAfterMs &&
        now - lastAskMs >= UNFENCE_ASK_EVERY_MS
      ) {
        lastAskMs = now;
        const verdict = await unfenceVerdict(node, dataDir);
        if (verdict.unfence) {
          await clearFence(dataDir);
          await decide('notice', `unfenced: ${verdict.reason}; PostgreSQL restarts as the primary`);
          await client?.end().catch(() => undefined);
          client = undefined;
          await restartPostgres(node, dataDir).catch((error) => decide('err', `unfence restart failed: ${(error as Error).message}`));
        } else await decide('warning', `stays fenced: ${verdict.reason}`);
      }

      // The VIP: Keepalived configures it before its notify script even starts. A standby that
      // holds it in automatic mode is promoted from here, when safe (promoteOnce: the wait for
      // promoteAfterMs of silence, the witness, `db promote`'s checks), without waiting for a
      // process to start.
      const [vrrp, promotion] = await Promise.all([
        readState<VrrpState>(settings.stateDir, self.name, 'vrrp'),
        readState<PromotionState>(settings.stateDir, self.name, 'promotion'),
      ]);
      holdsVip = vipHere(vrrp);
      // Since the first sign of it: Keepalived's record can be older than this round.
      const masterAt = vrrp?.state === 'MASTER' && vrrp.bootId === bootId() ? vrrp.atMs : Number.POSITIVE_INFINITY;
      if (!holdsVip) vipSince = null;
      else vipSince ??= Math.min(monotonicMs(), masterAt);
      // Decided already for this tenure of the VIP: promoted, refused, or a switchover handing this
      // node over (it holds the VIP as a standby on purpose, health.ts).
      const decided = promotion?.bootId === bootId() && vipSince !== null && promotion.atMs >= vipSince;
      if (settings.mode === 'manual' && holdsVip && sqlRole === 'standby' && !decided && attemptedFor !== vipSince) {
        attemptedFor = vipSince;
        await recordPromotion(
          node,
          'promote',
          'skipped',
          'manual mode: the VIP is here; promote with `db promote` if the primary is gone',
          'notice',
        );
      } else if (
        settings.mode === 'automatic' &&
        holdsVip &&
        sqlRole === 'standby' &&
        !decided &&
        promotion?.outcome !== 'handing-over' &&
        !fence &&
        promoting === undefined &&
        attemptedFor !== vipSince
      ) {
        attemptedFor = vipSince;
        promoting = promoteOnce(node, local, async () => holdsVip)
          .catch((error) => decide('err', `promotion failed: ${(error as Error).message}`))
          .finally(() => {
            promoting = undefined;
          });
      }

      const timeline = (await readDataDirTimeline(dataDir))?.timeline ?? null;
      const state: WatchState = {
        node: self.name,
        bootId: bootId(),
        pid: process.pid,
        atMs: monotonicMs(),
        role: sqlRole,
        timeline,
        fenced: (await readFence(dataDir))?.reason ?? null,
        lastPeerContactMs: lastPeer,
        peerContactSinceMs: peerSince,
        lastWitnessContactMs: witness.lastContactMs,
        witness: witness.address,
        mode: settings.mode,
        leaseMs: settings.leaseMs,
        probeIntervalMs: settings.probeIntervalMs,
        lastDecision,
        holdsVip,
        vipSinceMs: vipSince,
      };
      await writeState(settings.stateDir, self.name, 'watch', state);
      await writeVerdicts(settings.stateDir, self.name, state, promotion);
      const wait = settings.probeIntervalMs - (monotonicMs() - roundStart);
      if (wait > 0) await sleep(wait, signal);
    }
  } finally {
    await promoting;
    witness.stop();
    await client?.end().catch(() => undefined);
  }
}

/**
 * Keepalived's health checks, judged here every round and written where its shell test reads
 * them (verdict-file.ts). Valid for staleAfterMs: a watch that stops gives the VIP up by then.
 */
async function writeVerdicts(stateDir: string, name: string, watch: WatchState, promotion: PromotionState | undefined): Promise<void> {
  const validForMs = staleAfterMs(watch.probeIntervalMs);
  for (const check of ['database', 'witness'] as const) {
    const verdict = judgeHealth(name, { watch, promotion }, check, monotonicMs());
    await writeVerdict(verdictFile(stateDir, name, check), verdict, validForMs);
  }
}

/** May a fenced node be the primary again? Only when the peer says it is a standby of this cluster, not ahead of it. */
async function unfenceVerdict(node: FailoverNode, dataDir: string): Promise<{ unfence: boolean; reason: string }> {
  const answer = await askPeer(peerReplicationConfig(node.topology, node.self, node.peer, 2000));
  if (!answer.reachable) return { unfence: false, reason: `cannot ask ${node.peer.name}: ${answer.reason}` };
  const local = await readDataDirTimeline(dataDir);
  const systemId = await readSystemIdentifier(dataDir);
  if (!local || systemId !== answer.systemId)
    return { unfence: false, reason: `${node.peer.name} is another cluster (system identifier ${answer.systemId})` };
  if (answer.role === 'primary') {
    return {
      unfence: false,
      reason: `${node.peer.name} is the primary (timeline ${answer.timeline}; this node ${local.timeline}): run \`db rejoin\` on this node`,
    };
  }
  if (answer.timeline > local.timeline) {
    return {
      unfence: false,
      reason: `${node.peer.name} is a standby on a newer timeline (${answer.timeline}; this node ${local.timeline}): choose the primary yourself (db doctor)`,
    };
  }
  return { unfence: true, reason: `${node.peer.name} answers as a standby on timeline ${answer.timeline} (this node ${local.timeline})` };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

import { readSystemIdentifier } from '../local/data-dir.js';
import { DataDirInvalidError } from '../local/errors.js';
import { GuardRefusedError } from './errors.js';
import { dataDirOf, type FailoverNode } from './failover-node.js';
import { hasStandbySignal, readFence, writeFence } from './fence.js';
import { askPeer, type PeerAnswer, peerReplicationConfig } from './peer.js';
import { logDecision } from './syslog.js';
import { readDataDirTimeline } from './timeline.js';

/** How long the guard waits for the other node at boot (the network may come up a little late). */
export const GUARD_PEER_WAIT_MS = 5000;

export interface GuardOutcome {
  start: 'primary' | 'standby' | 'fenced';
  reason: string;
  peer?: PeerAnswer;
}

/**
 * `db failover guard`, run by the service manager before PostgreSQL starts. A data directory that
 * will start as a standby (standby.signal) starts as one. One that would start as a primary does
 * so only when the other node says it is a standby on the same or an older timeline of the same
 * cluster. When the other node is a primary, the start is refused (GuardRefusedError): this node
 * was the primary before a failover and must be rejoined. When the other node cannot be asked,
 * or its answer does not fit, it starts fenced (a standby, read-only) and the watch lifts the
 * fence once it can tell. Nothing here ever starts a second primary on a guess.
 */
export async function runGuard(node: FailoverNode, options: { peerWaitMs?: number } = {}): Promise<GuardOutcome> {
  const dataDir = dataDirOf(node, 'guard');
  const outcome = await decide(node, dataDir, options.peerWaitMs ?? GUARD_PEER_WAIT_MS);
  if (outcome.start === 'fenced') await writeFence(dataDir, { by: 'guard', reason: outcome.reason });
  await logDecision(
    node.self.name,
    'guard',
    outcome.start === 'primary' || outcome.start === 'standby' ? 'notice' : 'warning',
    `starts ${outcome.start === 'fenced' ? 'fenced (as a read-only standby)' : `as a ${outcome.start}`}: ${outcome.reason}`,
  );
  return outcome;
}

async function decide(node: FailoverNode, dataDir: string, waitMs: number): Promise<GuardOutcome> {
  const local = await readDataDirTimeline(dataDir);
  if (!local) {
    throw new DataDirInvalidError(
      `${dataDir} holds no PostgreSQL cluster (no global/pg_control); the guard cannot tell what it would start`,
      `check failover.nodes.${node.self.name}.dataDir in the topology`,
    );
  }
  if (await hasStandbySignal(dataDir)) {
    const fence = await readFence(dataDir);
    return { start: 'standby', reason: fence ? `still fenced (${fence.by}, ${fence.at}: ${fence.reason})` : 'standby.signal is there' };
  }
  const peerName = `${node.peer.name} (${node.peer.address}:${node.topology.database.port})`;
  // Each attempt waits up to a second (never 0, which libpq reads as no limit).
  const config = peerReplicationConfig(node.topology, node.self, node.peer, Math.max(200, Math.min(1000, waitMs)));
  const deadline = Date.now() + waitMs;
  let peer = await askPeer(config);
  while (!peer.reachable && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    peer = await askPeer(config);
  }
  if (!peer.reachable) {
    return {
      start: 'fenced',
      reason: `cannot ask ${peerName} whether it is the primary now (${peer.reason}); the watch lifts the fence once it can tell`,
      peer,
    };
  }
  const systemId = await readSystemIdentifier(dataDir);
  if (systemId !== peer.systemId) {
    return {
      start: 'fenced',
      reason: `${peerName} is another cluster (system identifier ${peer.systemId}, here ${systemId ?? '?'}): check the topology`,
      peer,
    };
  }
  const here = `timeline ${local.timeline}`;
  if (peer.role === 'primary') {
    if (peer.timeline >= local.timeline) {
      throw Object.assign(
        new GuardRefusedError(
          `refusing to start ${node.self.name} as a primary: ${peerName} is the primary on timeline ${peer.timeline} (this node: ${here}); two primaries would accept writes; PostgreSQL was not started`,
        ),
        { peer },
      );
    }
    return {
      start: 'fenced',
      reason: `${peerName} runs as a primary on an older timeline (${peer.timeline}; this node: ${here}): two primaries; stop the other node, then this one unfences`,
      peer,
    };
  }
  if (peer.timeline > local.timeline) {
    return {
      start: 'fenced',
      reason: `${peerName} is a standby on a newer timeline (${peer.timeline}; this node: ${here}): it was promoted after this node; compare the two before choosing one (db doctor)`,
      peer,
    };
  }
  return { start: 'primary', reason: `${peerName} is a standby on timeline ${peer.timeline} (this node: ${here})`, peer };
}

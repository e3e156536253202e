import { forkPointOf, lsnToBytes } from '../database/timeline.js';
import { type Fence, fenceOf, type NodeState } from './node-state.js';
import type { Check } from './severity.js';
import { formatBytes } from './size.js';

/**
 * `db doctor` with the topology asks the peer too, and judges the pair: two writable primaries
 * (split brain) is CRITICAL and names the node that must stop; a fenced node is named as such.
 *
 * The rule for which node must stop: every promotion starts a new timeline whose history lists
 * the timeline it forked from. The node on the NEWER timeline was promoted after the other
 * node's timeline was left: it holds the newer history, the clients were moved to it, and the
 * other node's writes since the fork point are on a branch nobody follows. So the node on the
 * OLDER timeline must stop (and rejoin with `db rejoin`, which salvages its rows written after
 * the fork). When the newer timeline's history does not list the older one (two independent
 * promotions), or both are on the same timeline, doctor cannot tell and names no winner.
 */

export interface PeerView {
  name: string;
  where: string;
  state?: NodeState;
  /** Why the peer could not be asked. */
  error?: string;
}

export function evaluatePair(self: { name: string; state: NodeState }, peer: PeerView): Check[] {
  const checks: Check[] = [];
  const selfFence = fenceOf(self.state);
  if (!peer.state) {
    checks.push({
      id: 'peer',
      severity: selfFence ? 'critical' : 'warning',
      summary: `peer ${peer.name} (${peer.where}) cannot be asked: ${peer.error ?? 'no answer'}; cannot tell whether it is a primary${selfFence ? `, and this node is fenced: no node is known to accept writes` : ''}`,
      data: { peer: peer.name, reachable: false, error: peer.error ?? null },
    });
    if (selfFence) checks.push(fenceCheck(self.name, selfFence, self.state, 'unknown'));
    return checks;
  }
  const other = peer.state;
  if (other.systemIdentifier !== self.state.systemIdentifier) {
    checks.push({
      id: 'peer',
      severity: 'critical',
      summary: `peer ${peer.name} belongs to another cluster (system identifier ${other.systemIdentifier}, this node ${self.state.systemIdentifier}): check the topology; rebuild one node with \`db standby clone\``,
      data: { peer: peer.name, reachable: true, systemIdentifier: other.systemIdentifier, own: self.state.systemIdentifier },
    });
    return checks;
  }
  const otherFence = fenceOf(other);
  const selfWritable = !self.state.inRecovery && !selfFence;
  const otherWritable = !other.inRecovery && !otherFence;
  const describe = (name: string, s: NodeState, fence: Fence): string =>
    `${name} ${s.inRecovery ? (fence ? 'fenced (standby mode)' : 'standby') : fence ? 'primary, fenced read-only' : 'primary'} on timeline ${s.timeline}`;
  const data = {
    peer: peer.name,
    reachable: true,
    self: { name: self.name, inRecovery: self.state.inRecovery, timeline: self.state.timeline, lsn: self.state.lsn, fence: selfFence },
    other: { name: peer.name, inRecovery: other.inRecovery, timeline: other.timeline, lsn: other.lsn, fence: otherFence },
  };

  if (selfWritable && otherWritable) {
    checks.push(splitBrain({ name: self.name, state: self.state }, { name: peer.name, state: other }, data));
  } else {
    checks.push({
      id: 'peer',
      severity: 'ok',
      summary: `peer ${describe(peer.name, other, otherFence)}; this node ${describe(self.name, self.state, selfFence)}`,
      data,
    });
  }
  const primaryExists = selfWritable || otherWritable;
  if (selfFence) checks.push(fenceCheck(self.name, selfFence, self.state, primaryExists ? peer.name : 'none'));
  if (otherFence) checks.push(fenceCheck(peer.name, otherFence, other, primaryExists ? self.name : 'none'));
  return checks;
}

interface Named {
  name: string;
  state: NodeState;
}

function splitBrain(a: Named, b: Named, data: Record<string, unknown>): Check {
  const both = `${a.name} (timeline ${a.state.timeline}, WAL ${a.state.lsn ?? '?'}) and ${b.name} (timeline ${b.state.timeline}, WAL ${b.state.lsn ?? '?'})`;
  const base = `SPLIT BRAIN: two primaries accept writes: ${both}`;
  if (a.state.timeline === b.state.timeline) {
    return {
      id: 'split_brain',
      severity: 'critical',
      summary: `${base}; both on timeline ${a.state.timeline}, so which one is newer cannot be told: stop now the one clients should not write to, then \`db rejoin\` it (it lists and salvages its rows)`,
      data: { ...data, mustStop: null, rule: 'same timeline: undecidable' },
    };
  }
  const [newer, older] = a.state.timeline > b.state.timeline ? [a, b] : [b, a];
  const fork = newer.state.history ? forkPointOf(newer.state.history, older.state.timeline) : undefined;
  if (newer.state.history && fork === undefined) {
    return {
      id: 'split_brain',
      severity: 'critical',
      summary: `${base}; timeline ${newer.state.timeline}'s history does not contain timeline ${older.state.timeline} (two separate promotions), so which one is newer cannot be told: stop now the one clients should not write to, then \`db rejoin\` it`,
      data: { ...data, mustStop: null, rule: 'timelines not related: undecidable' },
    };
  }
  const diverged = fork !== undefined && older.state.lsn !== null ? Math.max(0, lsnToBytes(older.state.lsn) - lsnToBytes(fork)) : undefined;
  const forkText =
    fork === undefined
      ? ' (its history is not readable by this role: judged by timeline number)'
      : `, forked from timeline ${older.state.timeline} at ${fork}${diverged ? `; ${older.name} wrote ${formatBytes(diverged)} of WAL after the fork` : ''}`;
  return {
    id: 'split_brain',
    severity: 'critical',
    summary: `${base}. ${older.name} MUST STOP: it is on the older timeline; ${newer.name} holds timeline ${newer.state.timeline}${forkText}. Stop PostgreSQL on ${older.name}, then \`db rejoin\` it (its rows written after the fork are listed and CDRs salvaged)`,
    data: {
      ...data,
      mustStop: older.name,
      keeps: newer.name,
      forkLsn: fork ?? null,
      divergedBytes: diverged ?? null,
      rule: 'older timeline stops',
    },
  };
}

function fenceCheck(name: string, fence: Exclude<Fence, null>, s: NodeState, primary: string): Check {
  const how =
    fence === 'standby-mode'
      ? 'standby mode without primary_conninfo: read-only, replicating from nobody'
      : 'a primary with default_transaction_read_only = on: writes refused by default (a session can still turn it off)';
  const next =
    primary === 'none'
      ? 'no other node accepts writes: the platform cannot write until one node is primary'
      : primary === 'unknown'
        ? 'the peer cannot be asked: keep it fenced until the peer is known to be down or a standby'
        : `${primary} is the primary: run \`db rejoin\` on ${name}`;
  return {
    id: `fence.${name}`,
    severity: primary === 'none' || primary === 'unknown' ? 'critical' : 'warning',
    summary: `${name} is FENCED (${how}), timeline ${s.timeline}; ${next}`,
    data: { node: name, fence, timeline: s.timeline, lsn: s.lsn },
  };
}

import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * What the watch, the notify script and the health check tell each other: small JSON files in
 * failover.stateDir (a tmpfs such as /run/voipdb: gone at reboot, like the monotonic clock they
 * hold), one set per node name so two nodes may share a directory. Written by rename, so a reader
 * sees the old file or the new one, never half of one.
 */

export interface WatchState {
  node: string;
  bootId: string;
  pid: number;
  /** Monotonic ms (src/failover/clock.ts) of this write. */
  atMs: number;
  /** The local server as the watch last saw it; `down` when it did not answer. */
  role: 'primary' | 'standby' | 'down';
  timeline: number | null;
  /** The fence marker's reason while the node is fenced. */
  fenced: string | null;
  /** Monotonic ms of the last answer from the peer's PostgreSQL, and since when it answers without a break. */
  lastPeerContactMs: number | null;
  peerContactSinceMs: number | null;
  lastWitnessContactMs: number | null;
  witness: string | null;
  mode: 'automatic' | 'manual';
  /** The timing the watch runs with, so the health check needs no topology (it runs every second). */
  leaseMs: number;
  probeIntervalMs: number;
  /** The last decision taken (fence, unfence, refusal to unfence), for `db failover status`. */
  lastDecision: string | null;
  /** Whether this node holds the VIP (configured here, or Keepalived's last notify said MASTER), and since when. */
  holdsVip: boolean;
  vipSinceMs: number | null;
}

export interface VrrpState {
  state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
  bootId: string;
  atMs: number;
}

/**
 * The last promotion decision on this node: Keepalived's notify writes waiting, promoted, refused
 * or skipped; a planned switchover writes handing-over while it turns this primary into a standby
 * (the node keeps the VIP meanwhile) and switched-over once the peer is the primary (the node
 * gives the VIP up).
 */
export interface PromotionState {
  outcome: 'waiting' | 'promoted' | 'refused' | 'skipped' | 'handing-over' | 'switched-over';
  reason: string;
  bootId: string;
  atMs: number;
}

export type StateKind = 'watch' | 'vrrp' | 'promotion';

export function stateFile(stateDir: string, node: string, kind: StateKind): string {
  return path.join(stateDir, `${node}.${kind}.json`);
}

export async function readState<T>(stateDir: string, node: string, kind: StateKind): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(stateFile(stateDir, node, kind), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function writeState(stateDir: string, node: string, kind: StateKind, value: object): Promise<void> {
  const file = stateFile(stateDir, node, kind);
  await fs.mkdir(stateDir, { recursive: true, mode: 0o755 });
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(value)}\n`, { mode: 0o644 });
  await fs.rename(temp, file);
}

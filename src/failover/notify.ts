import { bootId, monotonicMs } from './clock.js';
import type { FailoverNode } from './failover-node.js';
import { type VrrpState, writeState } from './state.js';
import { logDecision } from './syslog.js';

export type VrrpTransition = VrrpState['state'];

/**
 * `db failover notify <state>`: Keepalived's notify scripts. Records the transition (the watch
 * and the health check read it) and logs it. It promotes nothing itself: the watch, already
 * running and connected, sees the VIP arrive and promotes when safe (auto-promote.ts), without
 * waiting for this process to start.
 */
export async function runNotify(node: FailoverNode, state: VrrpTransition): Promise<void> {
  await writeState(node.settings.stateDir, node.self.name, 'vrrp', { state, bootId: bootId(), atMs: monotonicMs() } satisfies VrrpState);
  await logDecision(node.self.name, 'notify', 'notice', `Keepalived: ${state}`);
}

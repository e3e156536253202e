import { bootId, monotonicMs } from './clock.js';
import type { FailoverNode } from './failover-node.js';
import { type PromotionState, writeState } from './state.js';
import { type LogLevel, logDecision } from './syslog.js';

/**
 * Records a promotion decision of this node (the automatic promotion's, or a switchover's) where
 * the watch and the health check read it, and logs it under the verb that took it.
 */
export async function recordPromotion(
  node: FailoverNode,
  verb: 'promote' | 'switchover',
  outcome: PromotionState['outcome'],
  reason: string,
  level: LogLevel,
): Promise<PromotionState> {
  const state: PromotionState = { outcome, reason, bootId: bootId(), atMs: monotonicMs() };
  await writeState(node.settings.stateDir, node.self.name, 'promotion', state);
  await logDecision(node.self.name, verb, level, `${outcome}: ${reason}`);
  return state;
}

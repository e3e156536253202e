import { bootId, monotonicMs } from './clock.js';
import type { FailoverNode } from './failover-node.js';
import { type PromotionState, readState, type VrrpState, type WatchState } from './state.js';

/**
 * The watch's state is stale past this: it writes every probeIntervalMs, and systemd restarts a
 * dead watch after 500 ms (rendered unit). A stale state means nobody keeps the lease here, so
 * the node must not hold the VIP.
 */
export function staleAfterMs(probeIntervalMs: number): number {
  return Math.max(2000, 4 * probeIntervalMs);
}

export interface HealthVerdict {
  ok: boolean;
  reason: string;
}

/**
 * `db failover health --check database|witness`: Keepalived's vrrp_scripts. Reads only the state
 * files (no connection), so it answers within Keepalived's interval whatever the network does.
 */
export async function checkHealth(node: FailoverNode, check: 'database' | 'witness'): Promise<HealthVerdict> {
  const { stateDir, leaseMs, probeIntervalMs, mode } = node.settings;
  const name = node.self.name;
  const watch = await readState<WatchState>(stateDir, name, 'watch');
  const now = monotonicMs();
  if (!watch || watch.bootId !== bootId())
    return { ok: false, reason: `no state from \`db failover watch\` for ${name} this boot: is it running?` };
  const age = now - watch.atMs;
  if (age > staleAfterMs(probeIntervalMs))
    return { ok: false, reason: `the watch's state is ${age} ms old: the watch is not running, so nobody keeps the lease` };

  if (check === 'witness') {
    const since = watch.lastWitnessContactMs === null ? null : now - watch.lastWitnessContactMs;
    if (since === null || since > leaseMs) {
      return {
        ok: false,
        reason: `the witness ${watch.witness ?? '(no default gateway)'} has not answered ${since === null ? 'yet' : `for ${since} ms`} (lease ${leaseMs} ms)`,
      };
    }
    return { ok: true, reason: `the witness ${watch.witness} answered ${since} ms ago` };
  }

  if (watch.role === 'down') return { ok: false, reason: 'PostgreSQL does not answer here' };
  // The boot guard fences in either mode; a fenced node cannot become writable by itself.
  if (watch.fenced) return { ok: false, reason: `fenced: ${watch.fenced}` };
  if (mode === 'manual') return { ok: true, reason: `PostgreSQL answers (${watch.role}; manual mode)` };
  if (watch.role === 'primary') return { ok: true, reason: 'the primary, not fenced' };
  const vrrp = await readState<VrrpState>(stateDir, name, 'vrrp');
  const promotion = await readState<PromotionState>(stateDir, name, 'promotion');
  if (
    vrrp?.state === 'MASTER' &&
    vrrp.bootId === bootId() &&
    promotion?.outcome === 'refused' &&
    promotion.bootId === bootId() &&
    promotion.atMs >= vrrp.atMs
  ) {
    return { ok: false, reason: `holds the VIP but its promotion was refused (${promotion.reason}): give the VIP back` };
  }
  return { ok: true, reason: 'a standby that can be promoted' };
}

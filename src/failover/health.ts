import { staleAfterMs } from '../topology/failover.js';
import type { HealthCheck } from '../topology/verdict-check.js';
import { bootId, monotonicMs } from './clock.js';
import { type PromotionState, readState, type WatchState } from './state.js';

/**
 * How long a planned switchover may keep the VIP on this node while its PostgreSQL restarts as a
 * standby and the peer is promoted: the restart (seconds), the peer's catch-up (SWITCHOVER
 * catchUpTimeoutMs, 10 s) and pg_promote, with room to spare. A switchover that dies midway stops
 * holding the VIP after this.
 */
export const HANDOVER_HOLD_MS = 30_000;

export interface HealthVerdict {
  ok: boolean;
  reason: string;
}

/** What the verdict is made of: the watch's last state (with whether it holds the VIP) and the last promotion decision. */
export interface HealthInputs {
  watch: WatchState | undefined;
  promotion: PromotionState | undefined;
}

/**
 * `db failover health --check database|witness`, for an operator: reads the state files (no
 * connection, not even the topology: the watch writes the mode and timing it runs with).
 * Keepalived does not run this (a Node start costs more CPU than a loaded 2-core node gives a
 * script each second): it tests the verdict files the watch writes from the same judgement
 * (src/failover/verdict-file.ts).
 */
export async function checkHealth(where: { stateDir: string; node: string }, check: HealthCheck): Promise<HealthVerdict> {
  const { stateDir, node } = where;
  const [watch, promotion] = await Promise.all([
    readState<WatchState>(stateDir, node, 'watch'),
    readState<PromotionState>(stateDir, node, 'promotion'),
  ]);
  return judgeHealth(node, { watch, promotion }, check, monotonicMs());
}

/** May this node hold the VIP? The one judgement behind the CLI's check and the watch's verdict files. */
export function judgeHealth(name: string, inputs: HealthInputs, check: HealthCheck, now: number): HealthVerdict {
  const { watch, promotion } = inputs;
  if (!watch || watch.bootId !== bootId())
    return { ok: false, reason: `no state from \`db failover watch\` for ${name} this boot: is it running?` };
  const { leaseMs, probeIntervalMs, mode } = watch;
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

  const thisBoot = (r: { bootId: string } | undefined): boolean => r?.bootId === bootId();
  // A planned switchover restarts this primary as a standby: it keeps the VIP until the peer is
  // promoted, so the VIP moves once, to a primary (HANDOVER_HOLD_MS bounds a switchover that died).
  if (promotion?.outcome === 'handing-over' && thisBoot(promotion) && now - promotion.atMs < HANDOVER_HOLD_MS) {
    return { ok: true, reason: `handing over to the peer (planned switchover, ${now - promotion.atMs} ms so far)` };
  }
  if (watch.role === 'down') return { ok: false, reason: 'PostgreSQL does not answer here' };
  // The boot guard fences in either mode; a fenced node cannot become writable by itself.
  if (watch.fenced) return { ok: false, reason: `fenced: ${watch.fenced}` };
  if (mode === 'manual') return { ok: true, reason: `PostgreSQL answers (${watch.role}; manual mode)` };
  if (watch.role === 'primary') return { ok: true, reason: 'the primary, not fenced' };
  // A standby holding the VIP gives it back when its promotion was refused, or when it was the
  // primary that a switchover handed over (the VIP goes to the new primary). Once Keepalived has
  // left MASTER (a newer record), the standby is healthy again: it may take the VIP if the primary dies.
  // Since when this node holds the VIP, as the watch saw it (its interfaces, or Keepalived's record).
  const vipSince = watch.holdsVip ? watch.vipSinceMs : null;
  if (vipSince !== null && thisBoot(promotion) && promotion!.atMs >= vipSince) {
    if (promotion!.outcome === 'refused')
      return { ok: false, reason: `holds the VIP but its promotion was refused (${promotion!.reason}): give the VIP back` };
    if (promotion!.outcome === 'switched-over')
      return { ok: false, reason: `holds the VIP but handed the primary over (${promotion!.reason}): give the VIP to the new primary` };
  }
  return { ok: true, reason: 'a standby that can be promoted' };
}

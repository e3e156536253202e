import { readFileSync } from 'node:fs';

/**
 * The failover's one clock: CLOCK_MONOTONIC in milliseconds (process.hrtime), shared by every
 * process of one boot, so the watch, the health check and the notify script measure "time since
 * last contact" on the same scale, and a wall-clock step (NTP, an operator's `date -s`) changes
 * nothing. It restarts at each boot: the boot id tells the readings of two boots apart. No
 * reading is ever compared with another machine's.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

let cachedBootId: string | undefined;

/** The kernel's random id of this boot (Linux); "unknown" elsewhere. */
export function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown';
    }
  }
  return cachedBootId;
}

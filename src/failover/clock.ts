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

/**
 * The kernel's uptime in centiseconds, as /proc/uptime shows it: the one clock a POSIX shell can
 * read without starting a program, so the watch states its verdicts' expiry in it and the check
 * Keepalived runs compares without any fork (src/failover/verdict-file.ts). Like the monotonic
 * clock it restarts at boot and never steps with the wall clock.
 */
export function uptimeCs(): number {
  const [seconds] = readFileSync('/proc/uptime', 'utf8').split(' ');
  return Math.round(Number(seconds) * 100);
}

import { promises as fs } from 'node:fs';
import { bootId, uptimeCs } from './clock.js';
import type { HealthVerdict } from './health.js';

/**
 * The watch's health verdicts, one small file per check, which Keepalived tests every second
 * with the shell alone. Keepalived runs its checks each interval and times them out: a Node
 * start per check (about half a second of CPU, four a second on a pair sharing two cores) was
 * seen to miss that timeout, so the node never took the VIP. A shell builtin test costs
 * microseconds whatever the load.
 *
 * Format, one line: `<expiry> <boot id> <ok|fail> <reason>`, the expiry in /proc/uptime
 * centiseconds (clock.ts: uptimeCs). The watch writes every probe interval with an expiry of
 * staleAfterMs (health.ts), so a watch that stops or hangs stops holding the VIP within that
 * bound. Uptime restarts at boot: the boot id keeps a file left from an earlier boot (a state
 * directory on disk instead of the rendered tmpfs) from passing.
 */
export async function writeVerdict(file: string, verdict: HealthVerdict, validForMs: number): Promise<void> {
  const expiry = uptimeCs() + Math.ceil(validForMs / 10);
  const temp = `${file}.${process.pid}.tmp`;
  // One line: the reason is for people (`cat` it), the shell reads only the first two words.
  await fs.writeFile(temp, `${expiry} ${bootId()} ${verdict.ok ? 'ok' : 'fail'} ${verdict.reason.replace(/\s+/g, ' ')}\n`, { mode: 0o644 });
  await fs.rename(temp, file);
}

export interface VerdictRead {
  ok: boolean;
  reason: string;
  /** Until it expires, in ms (negative: expired that long ago); null when written at another boot. */
  validForMs: number | null;
}

/** A verdict file as Keepalived's test reads it, for `db failover status`; undefined when there is none. */
export async function readVerdict(file: string): Promise<VerdictRead | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const [expiry, boot, verdict, ...reason] = text.trim().split(' ');
  const thisBoot = boot === bootId();
  const leftCs = Number(expiry) - uptimeCs();
  return { ok: verdict === 'ok' && thisBoot && leftCs > 0, reason: reason.join(' '), validForMs: thisBoot ? leftCs * 10 : null };
}

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { monotonicMs } from './clock.js';

/**
 * The tie-breaker: does this node still reach the witness (failover.witness, else its default
 * gateway)? One long-running `ping` (iputils) per watch, one echo every probe interval, each reply
 * stamped with the monotonic clock; cheaper and steadier than a process per probe. ICMP needs no
 * port on the witness and is what a gateway answers. The gateway is read again whenever ping ends,
 * so a changed route is followed.
 */
export class WitnessMonitor {
  private child: ChildProcess | undefined;
  private stopped = false;
  lastContactMs: number | null = null;
  address: string | null = null;
  problem: string | null = null;

  constructor(
    private readonly configured: string | undefined,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return;
    this.address = this.configured ?? (await defaultGateway());
    if (this.address === null) {
      this.problem = 'no witness configured and no default route: the tie-breaker cannot be reached';
      setTimeout(() => void this.start(), 5000).unref();
      return;
    }
    const args = ['-n', '-i', String(Math.max(this.intervalMs, 200) / 1000), ...(this.address.includes(':') ? ['-6'] : []), this.address];
    const child = spawn('ping', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.problem = null;
    let buffer = '';
    child.stdout!.on('data', (data: Buffer) => {
      buffer += data.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      if (lines.some((l) => /bytes from/.test(l))) this.lastContactMs = monotonicMs();
    });
    child.stderr!.on('data', (data: Buffer) => {
      this.problem = `ping ${this.address}: ${data.toString().trim()}`;
    });
    child.on('error', (error) => {
      this.problem = `cannot run ping (${(error as Error).message}); install iputils-ping`;
    });
    child.on('close', () => {
      this.child = undefined;
      // ping ends on "network unreachable" and the like: look at the route again and retry.
      if (!this.stopped) setTimeout(() => void this.start(), 1000).unref();
    });
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGTERM');
  }
}

/** The default gateway from `ip route show default` (IPv4 first), or null. */
export function defaultGateway(): Promise<string | null> {
  const read = (family: '-4' | '-6') =>
    new Promise<string | null>((resolve) => {
      execFile('ip', [family, 'route', 'show', 'default'], { timeout: 2000 }, (error, stdout) => {
        resolve(error ? null : (/\bvia\s+(\S+)/.exec(String(stdout))?.[1] ?? null));
      });
    });
  return read('-4').then((v4) => v4 ?? read('-6'));
}

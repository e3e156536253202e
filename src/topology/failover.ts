import { isIP } from 'node:net';
import { z } from 'zod';
import { absolutePath } from './schema-fields.js';

/**
 * The topology's `failover:` block: how Keepalived, the watch and the boot guard of each node
 * behave. Absent, every default applies and the mode is manual (today's behaviour: the VIP
 * moves, nobody promotes, nobody fences).
 *
 * The timing rule (README, "Failover and failback"): a primary fences itself once it has reached
 * neither its peer nor the witness for longer than `leaseMs`; the other node promotes only once
 * it has not reached the primary for `promoteAfterMs`, which must cover the lease plus the time
 * the primary's watch takes to notice (two probe rounds: the last contact of each side can be a
 * round apart) plus the fence's own write stop and a margin. Each node measures only its own
 * elapsed time (CLOCK_MONOTONIC): no clock is compared between the nodes.
 */

/** Time from the fence decision to the postmaster refusing writes: SIGINT = fast shutdown, backends end at once. */
export const FENCE_WRITE_STOP_MS = 500;
/** Slack for a watch loop that runs late on a loaded machine (the rule's only allowance for scheduling delay). */
export const TIMING_MARGIN_MS = 500;

/** promoteAfterMs may not be lower than this: lease + two probe rounds + fence write stop + margin. */
export function minimumPromoteAfterMs(t: { leaseMs: number; probeIntervalMs: number; probeTimeoutMs: number }): number {
  return t.leaseMs + 2 * (t.probeIntervalMs + t.probeTimeoutMs) + FENCE_WRITE_STOP_MS + TIMING_MARGIN_MS;
}

/**
 * The watch's state, and its verdicts for Keepalived, are stale past this: it writes every
 * probeIntervalMs, and systemd restarts a dead watch after 500 ms (rendered unit). A stale state
 * means nobody keeps the lease here, so the node must not hold the VIP.
 */
export function staleAfterMs(probeIntervalMs: number): number {
  return Math.max(2000, 4 * probeIntervalMs);
}

const ms = (what: string, min: number, max: number) =>
  z
    .int({ error: `must be a whole number of milliseconds (${what})` })
    .min(min, { error: `must be at least ${min} ms (${what})` })
    .max(max, { error: `must be at most ${max} ms (${what})` });
const interfaceName = z
  .string({ error: 'must be a network interface name such as eth0' })
  .regex(/^[A-Za-z0-9_.:@-]{1,15}$/, { error: 'must be a network interface name such as eth0' });

const perNode = z.strictObject(
  {
    // The PostgreSQL data directory: the guard and the fence write standby.signal and voipdb.fenced there.
    dataDir: absolutePath.optional(),
    // Where pg_ctl is, for restart: pg_ctl.
    binDir: absolutePath.optional(),
    interface: interfaceName.optional(),
    // VRRP priority (1..254); default 150 for the topology's primary, 100 for the other node.
    priority: z.int({ error: 'must be a whole number from 1 to 254' }).min(1).max(254).optional(),
  },
  { error: 'must be a mapping { dataDir, binDir, interface, priority }' },
);

export const failoverSchema = z
  .strictObject(
    {
      mode: z.enum(['automatic', 'manual'], { error: 'must be automatic or manual' }).default('manual'),
      // ICMP echo target of the tie-breaker; absent: the node's default gateway at run time.
      witness: z
        .string({ error: 'must be an IPv4 or IPv6 address' })
        .refine((v) => isIP(v) !== 0, { error: 'must be an IPv4 or IPv6 address' })
        .optional(),
      interface: interfaceName.default('eth0'),
      virtualRouterId: z.int({ error: 'must be a whole number from 1 to 255' }).min(1).max(255).default(51),
      // VRRP advertisement interval; Keepalived declares the master gone after about 3 of them.
      advertIntervalMs: ms('advertIntervalMs', 10, 40_000)
        .refine((v) => v % 10 === 0, { error: 'must be a multiple of 10 ms (VRRP counts centiseconds)' })
        .default(1000),
      leaseMs: ms('leaseMs', 200, 60_000).default(1500),
      probeIntervalMs: ms('probeIntervalMs', 50, 10_000).default(250),
      probeTimeoutMs: ms('probeTimeoutMs', 20, 10_000).default(200),
      promoteAfterMs: ms('promoteAfterMs', 200, 600_000).optional(),
      // A fenced node unfences only after the peer answered this long without a break (covers a promotion in flight).
      unfenceAfterMs: ms('unfenceAfterMs', 1000, 600_000).default(10_000),
      command: absolutePath.default('/usr/local/bin/db'),
      topologyFile: absolutePath.default('/etc/voipdb/topology.yaml'),
      stateDir: absolutePath.default('/run/voipdb'),
      // Checked below without echoing the value: it might hold the very password it must not.
      localUrl: z.string({ error: 'must be a connection URL without a password' }).optional(),
      restart: z.enum(['service-manager', 'pg_ctl'], { error: 'must be service-manager or pg_ctl' }).default('service-manager'),
      nodes: z
        .record(z.string(), perNode, { error: 'must be a mapping of node name to { dataDir, binDir, interface, priority }' })
        .default({}),
    },
    { error: 'must be a mapping' },
  )
  .superRefine((f, ctx) => {
    if (f.probeTimeoutMs >= f.probeIntervalMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['probeTimeoutMs'],
        message: `must be below probeIntervalMs (${f.probeIntervalMs})`,
        input: f.probeTimeoutMs,
      });
    }
    if (f.localUrl !== undefined && (/^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(f.localUrl) || /\bpassword=/i.test(f.localUrl))) {
      ctx.addIssue({
        code: 'custom',
        path: ['localUrl'],
        message: 'must not hold a password (use a passfile, or peer authentication over the socket)',
        input: undefined,
      });
    }
    const minimum = minimumPromoteAfterMs(f);
    if (f.promoteAfterMs !== undefined && f.promoteAfterMs < minimum) {
      ctx.addIssue({
        code: 'custom',
        path: ['promoteAfterMs'],
        message: `must be at least ${minimum} ms (leaseMs + 2 x (probeIntervalMs + probeTimeoutMs) + ${FENCE_WRITE_STOP_MS} + ${TIMING_MARGIN_MS}), or the standby could promote before the primary fenced`,
        input: f.promoteAfterMs,
      });
    }
  });

export type FailoverSettingsInput = z.input<typeof failoverSchema>;
/** The block as parsed (defaults filled, promoteAfterMs maybe absent). */
export type FailoverBlock = z.output<typeof failoverSchema>;
type Parsed = FailoverBlock;

/** The block with every default filled in, and promoteAfterMs resolved. */
export type FailoverSettings = Omit<Parsed, 'promoteAfterMs'> & { promoteAfterMs: number };

export interface FailoverNodeSettings {
  dataDir?: string;
  binDir?: string;
  interface: string;
  priority: number;
}

/** The settings of a topology's block (all defaults when absent). */
export function resolveFailover(block: Parsed | undefined): FailoverSettings {
  const f = block ?? failoverSchema.parse({});
  return { ...f, promoteAfterMs: f.promoteAfterMs ?? minimumPromoteAfterMs(f) };
}

/** One node's failover settings: its own entry, else the block's and the role's defaults. */
export function failoverNode(f: FailoverSettings, node: { name: string; role: string }): FailoverNodeSettings {
  const own = f.nodes[node.name] ?? {};
  return {
    ...(own.dataDir ? { dataDir: own.dataDir } : {}),
    ...(own.binDir ? { binDir: own.binDir } : {}),
    interface: own.interface ?? f.interface,
    priority: own.priority ?? (node.role === 'primary' ? 150 : 100),
  };
}

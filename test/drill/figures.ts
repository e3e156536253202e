import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { withConnection } from '../../src/database/connect.js';
import type { Lab, Member } from './lab.js';
import { VIP } from './lab.js';
import type { NodeName, PgCluster } from './pg-nodes.js';
import { readRegisterOks, type SippLoop } from './sip.js';

/** What one scenario measured. Times are milliseconds. */
export interface ScenarioFigures {
  scenario: string;
  /** Fault -> first 200 OK REGISTER through the VIP whose location row the new primary wrote (null: no failover expected). */
  rtoMs: number | null;
  /** Fault -> the VIP configured on the node that takes it over (Keepalived's own move time; null: the VIP must not move). */
  vipMoveMs: number | null;
  /** Acknowledged CDRs that the serving primary lacks at the end (after rejoin's salvage where the scenario rejoins). */
  cdrsLost: number;
  cdrsAcknowledged: number;
  /** Probe instants (every 100 ms) at which both nodes accepted a write. */
  twoPrimaryInstants: number;
  probeInstants: number;
  /** The longest time without a 200 OK REGISTER after the fault. */
  longestRegisterGapMs: number;
  notes: string[];
}

/**
 * Resolves with the wall-clock time at which `address` appears on the member's interfaces, as
 * `ip monitor` reports it (no polling delay). Started before the fault.
 */
export function watchAddress(lab: Lab, member: Member, address = VIP): { appeared: Promise<number>; cancel(): void } {
  const child = spawn('ip', ['-n', lab.ns(member), '-4', 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let cancel = (): void => undefined;
  const appeared = new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (d: Buffer) => {
      const at = Date.now();
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      if (lines.some((l) => !l.startsWith('Deleted') && l.includes(` ${address}/`))) {
        child.kill();
        resolve(at);
      }
    });
    cancel = () => {
      child.kill();
      reject(new Error(`the VIP never appeared on ${member}`));
    };
  });
  appeared.catch(() => undefined);
  return { appeared, cancel };
}

/** The contacts whose location rows `node` itself wrote (the audit trigger records the node's cluster_name). */
export async function contactsWrittenOn(cluster: PgCluster, node: NodeName): Promise<Set<number>> {
  return withConnection(cluster.config(node, 'voipdb'), async (c) => {
    const { rows } = await c.query<{ contact: string }>('SELECT contact FROM drill.location_writes WHERE written_on = $1', [node]);
    return new Set(rows.map((r) => Number(/;n=(\d+)/.exec(r.contact)?.[1])).filter((n) => Number.isInteger(n)));
  });
}

/**
 * Fault -> the first 200 OK the phone received after it for a REGISTER whose location row was
 * written on `node`, waiting up to `timeoutMs` for one. Null when none came.
 */
export async function measureRto(
  cluster: PgCluster,
  sipp: SippLoop,
  node: NodeName,
  faultAt: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const oks = (await readRegisterOks(sipp)).filter((o) => o.at > faultAt).sort((a, b) => a.at - b.at);
    if (oks.length > 0) {
      const written = await contactsWrittenOn(cluster, node).catch(() => new Set<number>());
      const first = oks.find((o) => written.has(o.n));
      if (first) return Math.round(first.at - faultAt);
    }
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function longestRegisterGap(sipp: SippLoop, from: number, to: number): Promise<number> {
  const times = (await readRegisterOks(sipp))
    .map((o) => o.at)
    .filter((t) => t > from && t <= to)
    .sort((a, b) => a - b);
  let gap = 0;
  let last = from;
  for (const t of [...times, to]) {
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.round(gap);
}

export async function readAcknowledged(ackLog: string): Promise<string[]> {
  const text = await fs.readFile(ackLog, 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

/** Acknowledged CDRs the node's voip.cdr lacks. */
export async function missingCdrs(cluster: PgCluster, node: NodeName, acknowledged: string[]): Promise<string[]> {
  const present = await withConnection(cluster.config(node, 'voipdb'), async (c) => {
    const { rows } = await c.query<{ uuid: string }>('SELECT uuid::text AS uuid FROM voip.cdr');
    return new Set(rows.map((r) => r.uuid));
  });
  return acknowledged.filter((u) => !present.has(u));
}

export async function readProbes(probeLog: string): Promise<{ instants: number; both: number; bothAt: number[] }> {
  const text = await fs.readFile(probeLog, 'utf8').catch(() => '');
  const lines = text.split('\n').filter(Boolean);
  const bothAt = lines.filter((l) => l.endsWith(' 1 1')).map((l) => Number(l.split(' ')[0]));
  return { instants: lines.length, both: bothAt.length, bothAt };
}

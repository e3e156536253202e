import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { DEFAULT_THRESHOLDS } from '../../src/doctor/thresholds.js';
import { WrongNodeRoleError } from '../../src/failover/errors.js';
import type { FailoverNode } from '../../src/failover/failover-node.js';
import { monotonicMs } from '../../src/failover/clock.js';
import { checkHealth } from '../../src/failover/health.js';
import { runNotify } from '../../src/failover/notify.js';
import { type PromotionState, readState } from '../../src/failover/state.js';
import { switchover } from '../../src/failover/switchover.js';
import { runWatch } from '../../src/failover/watch.js';
import { ANSWERING_WITNESS, type FailoverPair, startFailoverPair } from '../support/failover-pair.js';

/**
 * `db failover switchover` on a real PostgreSQL 18 pair on loopback: the primary hands over to
 * its standby with no committed write lost and never two writable primaries (a prober writes on
 * both nodes every 20 ms throughout), then the roles swap back the same way.
 */
const SETTINGS = { mode: 'automatic', leaseMs: 1000, probeIntervalMs: 100, probeTimeoutMs: 80, witness: ANSWERING_WITNESS } as const;

async function isPrimary(config: ConnectionConfig): Promise<boolean> {
  return withConnection({ ...config, connectTimeoutMs: 1000 }, async (c) => !(await c.query('SELECT pg_is_in_recovery() AS r')).rows[0].r);
}

/** Writes on both nodes every 20 ms; counts the instants both accepted a write, and the rows each acknowledged. */
function startProber(pair: FailoverPair): { stop(): Promise<{ both: number; acknowledged: number[]; instants: number }> } {
  let running = true;
  let both = 0;
  let instants = 0;
  let n = 0;
  const acknowledged: number[] = [];
  const tryWrite = async (node: 'node1' | 'node2', id: number): Promise<boolean> =>
    withConnection({ ...pair.config(node), connectTimeoutMs: 500 }, async (c) => {
      await c.query('INSERT INTO switchover_probe (id, node) VALUES ($1, $2)', [id, node]);
      return true;
    }).catch(() => false);
  const loop = (async () => {
    while (running) {
      const id = ++n;
      const [one, two] = await Promise.all([tryWrite('node1', id), tryWrite('node2', id)]);
      instants++;
      if (one && two) both++;
      if (one || two) acknowledged.push(id);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { both, acknowledged, instants };
    },
  };
}

async function streamingFrom(primary: ConnectionConfig, standby: string): Promise<boolean> {
  return withConnection(primary, async (c) => {
    const { rows } = await c.query("SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'", [standby]);
    return rows.length === 1;
  }).catch(() => false);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('db failover switchover (PostgreSQL 18 pair on loopback)', () => {
  let pair: FailoverPair;
  let node1: FailoverNode;
  let node2: FailoverNode;

  beforeAll(async () => {
    pair = await startFailoverPair('pg18');
    node1 = pair.node('node1', SETTINGS);
    node2 = pair.node('node2', SETTINGS);
    await withConnection(pair.config('node1'), (c) => c.query('CREATE TABLE switchover_probe (id int PRIMARY KEY, node text NOT NULL)'));
    await waitFor('node2 streaming from node1', () => streamingFrom(pair.config('node1'), 'node2'));
  }, 120_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('refuses on the standby, and when the standby cannot be reached; nothing is changed', async () => {
    await expect(
      switchover({ node: node2, local: pair.config('node2'), peer: pair.config('node1'), thresholds: DEFAULT_THRESHOLDS }),
    ).rejects.toBeInstanceOf(WrongNodeRoleError);
    await pair.stop('node2');
    try {
      await expect(
        switchover({ node: node1, local: pair.config('node1'), peer: pair.config('node2'), thresholds: DEFAULT_THRESHOLDS }),
      ).rejects.toMatchObject({ code: 'SWITCHOVER_REFUSED', message: expect.stringMatching(/cannot reach node2 .*nothing was changed$/) });
    } finally {
      await pair.start('node2');
    }
    expect(await isPrimary(pair.config('node1'))).toBe(true);
    await waitFor('node2 streaming from node1 again', () => streamingFrom(pair.config('node1'), 'node2'));
  });

  it('hands over to node2 and back: every acknowledged write kept, never two writable primaries, the VIP released only once handed over', async () => {
    // node1's watch keeps its verdicts; Keepalived made node1 MASTER (it holds the VIP).
    const controller = new AbortController();
    const watching = runWatch(node1, pair.config('node1'), controller.signal);
    onTestFinished(async () => {
      controller.abort();
      await watching;
    });
    const health = () => checkHealth({ stateDir: node1.settings.stateDir, node: 'node1' }, 'database');
    await waitFor('node1 healthy', async () => (await health()).ok);
    await runNotify(node1, 'MASTER');
    const prober = startProber(pair);
    const steps: string[] = [];
    const verdicts: Array<{ ok: boolean; reason: string; atMs: number }> = [];
    const sample = setInterval(() => {
      const atMs = monotonicMs();
      void health().then((v) => verdicts.push({ ...v, atMs }));
    }, 50);
    let result: Awaited<ReturnType<typeof switchover>>;
    try {
      await new Promise((r) => setTimeout(r, 300));
      result = await switchover({
        node: node1,
        local: pair.config('node1'),
        peer: pair.config('node2'),
        thresholds: DEFAULT_THRESHOLDS,
        onStep: (s) => steps.push(s),
      });
    } finally {
      clearInterval(sample);
    }
    // node1 kept the VIP all through the handover (its server restarted meanwhile), until the
    // switchover recorded that node2 is the primary...
    const handedOver = (await readState<PromotionState>(node1.settings.stateDir, 'node1', 'promotion'))!;
    expect(handedOver.outcome).toBe('switched-over');
    // (a sample that started just before the record may read it: that one says it handed over)
    expect(
      verdicts.filter((v) => !v.ok && (v.atMs < handedOver.atMs - 500 || !/handed the primary over/.test(v.reason))).map((v) => v.reason),
    ).toEqual([]);
    expect(verdicts.some((v) => v.reason.startsWith('handing over'))).toBe(true);
    // ...and gives it to the new primary now; once Keepalived has left MASTER it is a healthy standby.
    expect(await health()).toEqual({ ok: false, reason: expect.stringMatching(/handed the primary over .*node2 promoted/) });
    await runNotify(node1, 'BACKUP');
    await waitFor('node1 a healthy standby', async () => (await health()).reason === 'a standby that can be promoted');
    controller.abort();
    await watching;
    const probes = await prober.stop();
    expect(result.timeline).toBe(2);
    expect(steps.join('\n')).toMatch(/node2 replayed everything node1 wrote/);
    expect(await isPrimary(pair.config('node2'))).toBe(true);
    expect(await isPrimary(pair.config('node1'))).toBe(false);
    expect(probes.instants).toBeGreaterThan(10);
    expect(probes.both).toBe(0);
    // Every write either node acknowledged is on the new primary.
    expect(await missingOn(pair.config('node2'), probes.acknowledged)).toEqual([]);
    await waitFor('node1 streaming from node2', () => streamingFrom(pair.config('node2'), 'node1'));
    expect((await readState<PromotionState>(node1.settings.stateDir, 'node1', 'promotion'))?.outcome).toBe('switched-over');

    // And back: node2 hands over to node1.
    const back = startProber(pair);
    await new Promise((r) => setTimeout(r, 200));
    const again = await switchover({
      node: node2,
      local: pair.config('node2'),
      peer: pair.config('node1'),
      thresholds: DEFAULT_THRESHOLDS,
    });
    const probesBack = await back.stop();
    expect(again.timeline).toBe(3);
    expect(await isPrimary(pair.config('node1'))).toBe(true);
    expect(probesBack.both).toBe(0);
    expect(await missingOn(pair.config('node1'), probesBack.acknowledged)).toEqual([]);
    await waitFor('node2 streaming from node1 after the switch back', () => streamingFrom(pair.config('node1'), 'node2'));
  }, 180_000);
});

/** The acknowledged probe writes that the node's switchover_probe table does not hold. */
async function missingOn(config: ConnectionConfig, acknowledged: number[]): Promise<number[]> {
  const present = await withConnection(config, async (c) => {
    const { rows } = await c.query<{ id: number }>('SELECT id FROM switchover_probe');
    return new Set(rows.map((r) => r.id));
  });
  return acknowledged.filter((id) => !present.has(id));
}

import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { GuardRefusedError } from '../../src/failover/errors.js';
import type { FailoverNode } from '../../src/failover/failover-node.js';
import { readFence } from '../../src/failover/fence.js';
import { runGuard } from '../../src/failover/guard.js';
import { monotonicMs } from '../../src/failover/clock.js';
import { checkHealth } from '../../src/failover/health.js';
import { runNotify } from '../../src/failover/notify.js';
import { type PromotionState, readState, stateFile, type WatchState } from '../../src/failover/state.js';
import { readDataDirTimeline } from '../../src/failover/timeline.js';
import { runWatch } from '../../src/failover/watch.js';
import { runCli } from '../support/cli.js';
import { makeRunDir, startLocalServer } from '../support/servers.js';
import { stopCluster } from '../../src/local/cluster.js';
import { verdictFile, verdictShellTest } from '../../src/topology/verdict-check.js';
import { ANSWERING_WITNESS, type FailoverPair, SILENT_WITNESS, startFailoverPair } from '../support/failover-pair.js';

/**
 * The automatic failover's decisions on a real PostgreSQL 18 pair on loopback (node1 127.0.0.2
 * primary, node2 127.0.0.3 standby): the watch's lease and fence, the unfence, the boot guard, and
 * Keepalived's notify promoting node2 only when node1 is silent. Keepalived itself is not run here
 * (the drill runs it in network namespaces); its scripts are these functions and the CLI verbs.
 * Timings are short (lease 1 s, probes every 100 ms) so the suite stays quick.
 */
// promoteAfterMs well above the rule's minimum (2360 ms here): the ordering "fenced before the peer may
// promote" is asserted in wall-clock time on a machine shared by many test runs, where a watch round can be late.
const FAST = {
  mode: 'automatic',
  leaseMs: 1000,
  probeIntervalMs: 100,
  probeTimeoutMs: 80,
  unfenceAfterMs: 1000,
  promoteAfterMs: 5000,
} as const;

/** One of the node's health verdicts, as Keepalived's check script asks for it. */
function health(node: FailoverNode, check: 'database' | 'witness'): ReturnType<typeof checkHealth> {
  return checkHealth({ stateDir: node.settings.stateDir, node: node.self.name }, check);
}

/** Keepalived's own check of the watch's verdict file (the rendered shell test), as Keepalived runs it. */
const run = promisify(execFile);

async function keepalivedSays(node: FailoverNode, check: 'database' | 'witness'): Promise<boolean> {
  const test = verdictShellTest(verdictFile(node.settings.stateDir, node.self.name, check));
  return run('/bin/sh', ['-c', test]).then(
    () => true,
    () => false,
  );
}

/** Keepalived's check comes to the operator's verdict within a few watch rounds (it reads what the watch judged last). */
async function keepalivedAgrees(node: FailoverNode, check: 'database' | 'witness', ok: boolean): Promise<void> {
  await waitFor(`Keepalived's ${check} check of ${node.self.name} to say ${ok ? 'ok' : 'not ok'}`, async () =>
    (await keepalivedSays(node, check)) === ok ? true : undefined,
  );
  expect((await health(node, check)).ok).toBe(ok);
}

async function role(config: ConnectionConfig): Promise<'primary' | 'standby'> {
  return withConnection(config, async (c) => ((await c.query('SELECT pg_is_in_recovery() AS r')).rows[0].r ? 'standby' : 'primary'));
}

/** A write that tries to undo read-only mode first: a fenced node must refuse it anyway. */
async function tryWrite(config: ConnectionConfig): Promise<string> {
  return withConnection(config, async (c) => {
    await c.query('SET default_transaction_read_only = off');
    try {
      await c.query('BEGIN');
      await c.query('SET TRANSACTION READ WRITE');
      await c.query('CREATE TABLE IF NOT EXISTS failover_probe (at timestamptz)');
      await c.query('INSERT INTO failover_probe VALUES (now())');
      await c.query('COMMIT');
      return 'written';
    } catch (error) {
      await c.query('ROLLBACK').catch(() => undefined);
      return `refused: ${(error as Error).message}`;
    }
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The watch's promotion decision recorded at or after `sinceMs` (monotonic), once it is more than "waiting". */
function decisionSince(node: FailoverNode, sinceMs: number, what: string): Promise<PromotionState> {
  return waitFor(what, async () => {
    const p = await readState<PromotionState>(node.settings.stateDir, node.self.name, 'promotion');
    return p && p.atMs >= sinceMs && p.outcome !== 'waiting' ? p : undefined;
  });
}

/** Runs the watch of one node in this process until the returned stop() is called. */
function watch(node: FailoverNode, local: ConnectionConfig, holdsVip?: () => boolean): { stop(): Promise<void> } {
  const controller = new AbortController();
  const done = runWatch(node, local, controller.signal, holdsVip ? { holdsVip } : {});
  return {
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

describe('the data directory timeline read from files matches the server (18: the pair below)', () => {
  for (const name of ['pg15'] as const) {
    it(`${name}: pg_control checkpoint timeline and state`, async () => {
      const root = await makeRunDir(`timeline-${name}`);
      const s = await startLocalServer(name, root);
      try {
        const config = {
          host: s.host,
          port: s.port,
          user: s.user,
          password: s.password,
          database: 'postgres',
          applicationName: 'voipdb-test',
        };
        const sql = await withConnection(
          config,
          async (c) => (await c.query('SELECT timeline_id FROM pg_control_checkpoint()')).rows[0].timeline_id,
        );
        expect(await readDataDirTimeline(s.spec.dataDir)).toEqual({ timeline: sql, state: 'in production' });
        await stopCluster(s.spec.dataDir);
        expect(await readDataDirTimeline(s.spec.dataDir)).toEqual({ timeline: sql, state: 'shut down' });
      } finally {
        await stopCluster(s.spec.dataDir);
        await fs.rm(root, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

describe('db failover: exit codes without a watch', () => {
  it('health says no (exit 1) while no watch keeps the lease; notify refuses an unknown state (exit 2)', async () => {
    const dir = await makeRunDir('failover-cli');
    try {
      const topology = path.join(dir, 'topology.yaml');
      await fs.writeFile(
        topology,
        `vip: { address: 127.0.0.10 }\nnodes:\n  - { name: node1, address: 127.0.0.2, role: primary }\n  - { name: node2, address: 127.0.0.3, role: standby }\nfailover: { mode: automatic, stateDir: ${dir}/state }\n`,
      );
      for (const check of ['database', 'witness']) {
        const health = await runCli(['failover', 'health', '--topology', topology, '--node', 'node1', '--check', check]);
        expect({ code: health.code, stderr: health.stderr.trim() }).toEqual({
          code: 1,
          stderr: `node1: ${check}: not ok: no state from \`db failover watch\` for node1 this boot: is it running?`,
        });
      }
      const notify = await runCli(['failover', 'notify', '--topology', topology, '--node', 'node1', 'PRIMARY']);
      expect(notify.code).toBe(2);
      expect(notify.stderr).toContain('unknown state "PRIMARY"');
      const guard = await runCli(['failover', 'guard', '--topology', topology, '--node', 'node1']);
      expect(guard.code).toBe(2);
      expect(guard.stderr).toContain('error[FAILOVER_SETTING_MISSING]: `db failover guard` needs failover.nodes.node1.dataDir');
      const status = await runCli(['failover', 'status', '--topology', topology, '--node', 'node2']);
      expect(JSON.parse(status.stdout)).toMatchObject({
        node: 'node2',
        mode: 'automatic',
        watch: null,
        vrrp: null,
        promotion: null,
        verdicts: { database: null, witness: null },
      });
      // A transition is recorded without any connection; the promotion is the watch's (none runs here).
      expect((await runCli(['failover', 'notify', '--topology', topology, '--node', 'node2', 'BACKUP'])).code).toBe(0);
      const master = await runCli(['failover', 'notify', '--topology', topology, '--node', 'node2', 'MASTER']);
      expect(master.code).toBe(0);
      expect(master.stdout.trim()).toBe('node2: recorded MASTER');
      const after = JSON.parse((await runCli(['failover', 'status', '--topology', topology, '--node', 'node2'])).stdout);
      expect(after.vrrp.state).toBe('MASTER');
      expect(after.promotion).toBeNull();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('automatic failover on a PostgreSQL 18 pair', () => {
  let pair: FailoverPair;
  beforeAll(async () => {
    if (!existsSync('/usr/bin/ping')) throw new Error('ping is missing: apt-get install iputils-ping (as .ci/run does)');
    pair = await startFailoverPair('pg18');
  }, 120_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('pg18: the timeline read from the data directory matches the server', async () => {
    const sql = await withConnection(
      pair.config('node1'),
      async (c) => (await c.query('SELECT timeline_id FROM pg_control_checkpoint()')).rows[0].timeline_id,
    );
    expect(await readDataDirTimeline(pair.specs.node1.dataDir)).toEqual({ timeline: sql, state: 'in production' });
    expect(await readDataDirTimeline(pair.specs.node2.dataDir)).toEqual({ timeline: sql, state: 'in archive recovery' });
  });

  it('guard: a primary whose peer is a standby on its timeline starts as the primary', async () => {
    const outcome = await runGuard(pair.node('node1', FAST), { peerWaitMs: 2000 });
    expect(outcome.start).toBe('primary');
    expect(outcome.reason).toMatch(/node2 \(127\.0\.0\.3:\d+\) is a standby on timeline 1 \(this node: timeline 1\)/);
  });

  it('manual mode: node2 holding the VIP promotes nothing, and says so', async () => {
    const node2 = pair.node('node2', { ...FAST, mode: 'manual', witness: ANSWERING_WITNESS });
    const w = watch(node2, pair.config('node2'), () => true);
    try {
      const skipped = await waitFor('the skip recorded', async () => {
        const p = await readState<PromotionState>(node2.settings.stateDir, 'node2', 'promotion');
        return p?.outcome === 'skipped' ? p : undefined;
      });
      expect(skipped.reason).toMatch(/^manual mode: the VIP is here; promote with `db promote`/);
      await new Promise((r) => setTimeout(r, 500));
      expect(await role(pair.config('node2'))).toBe('standby');
    } finally {
      await w.stop();
      await fs.rm(stateFile(node2.settings.stateDir, 'node2', 'promotion'), { force: true });
    }
  });

  it('a standby that takes the VIP while its old primary answers is not promoted, and fails its health check so the VIP goes back', async () => {
    const node2 = pair.node('node2', { ...FAST, witness: ANSWERING_WITNESS });
    let vip = false;
    const w = watch(node2, pair.config('node2'), () => vip);
    try {
      await waitFor('node2 healthy', async () => ((await health(node2, 'database')).ok ? true : undefined));
      const started = Date.now();
      const since = monotonicMs();
      vip = true; // Keepalived gives node2 the VIP (node1's Keepalived died, say); node1's PostgreSQL still answers.
      const outcome = await decisionSince(node2, since, 'the promotion decision');
      expect(outcome.outcome).toBe('refused');
      expect(outcome.reason).toMatch(/the old primary node1 \(127\.0\.0\.2:\d+\) answers/);
      // Refused at once, not after the promotion wait.
      expect(Date.now() - started).toBeLessThan(node2.settings.promoteAfterMs);
      expect(await role(pair.config('node2'))).toBe('standby');
      await waitFor('the refusal in the health check', async () => {
        const v = await health(node2, 'database');
        return /promotion was refused/.test(v.reason) && !v.ok ? true : undefined;
      });
      await keepalivedAgrees(node2, 'database', false);
      // Keepalived then takes the VIP away (FAULT): the refusal no longer counts and the standby may take the VIP later.
      vip = false;
      await runNotify(node2, 'FAULT');
      await keepalivedAgrees(node2, 'database', true);
      await keepalivedAgrees(node2, 'witness', true);
      expect(await health(node2, 'witness')).toEqual({
        ok: true,
        reason: expect.stringMatching(/^the witness 127\.0\.0\.1 answered/),
      });
    } finally {
      await w.stop();
    }
  });

  it('a primary that loses its standby but reaches the witness keeps serving (no fence)', async () => {
    const node1 = pair.node('node1', { ...FAST, witness: ANSWERING_WITNESS });
    const w = watch(node1, pair.config('node1'));
    try {
      await pair.stop('node2');
      await new Promise((r) => setTimeout(r, 3 * node1.settings.leaseMs));
      expect(await readFence(pair.specs.node1.dataDir)).toBeUndefined();
      expect(await tryWrite(pair.config('node1'))).toBe('written');
      expect((await health(node1, 'database')).ok).toBe(true);
      await keepalivedAgrees(node1, 'database', true);
      // A watch that stops stops holding the VIP: its verdict expires (staleAfterMs, 2 s).
      await w.stop();
      const stopped = Date.now();
      await keepalivedAgrees(node1, 'database', false);
      expect(Date.now() - stopped).toBeLessThan(2000 + 1000);
    } finally {
      await w.stop();
      await pair.start('node2');
    }
  });

  it('a primary that reaches neither peer nor witness fences itself after the lease, read-only whatever a session SETs; it unfences once the peer is back as a standby', async () => {
    const node1 = pair.node('node1', { ...FAST, witness: SILENT_WITNESS });
    expect(await tryWrite(pair.config('node1'))).toBe('written');
    const w = watch(node1, pair.config('node1'));
    try {
      const cut = Date.now();
      await pair.stop('node2');
      const fence = await waitFor('the fence marker', () => readFence(pair.specs.node1.dataDir));
      const fencedAfter = Date.now() - cut;
      expect(fence.by).toBe('lease');
      expect(fence.reason).toMatch(/no answer from node2 .* nor from the witness 198\.51\.100\.1 for \d+ ms, over the lease \(1000 ms\)/);
      // After the lease (it counts from the last contact, made just before the cut), before the peer may promote.
      expect(fencedAfter).toBeGreaterThan(node1.settings.leaseMs - 2 * node1.settings.probeIntervalMs);
      expect(fencedAfter).toBeLessThan(node1.settings.promoteAfterMs);
      await waitFor('node1 back as a standby', async () => ((await role(pair.config('node1'))) === 'standby' ? true : undefined));
      expect(await tryWrite(pair.config('node1'))).toMatch(/^refused: .*(read-only|during recovery)/);
      expect(await health(node1, 'database')).toEqual({
        ok: false,
        reason: expect.stringMatching(/^(fenced: no answer from node2|PostgreSQL does not answer here)/),
      });
      expect((await health(node1, 'witness')).ok).toBe(false);
      await keepalivedAgrees(node1, 'database', false);
      await keepalivedAgrees(node1, 'witness', false);

      // node2 comes back (as a standby on timeline 1): after unfenceAfterMs of contact node1 is the primary again.
      await pair.start('node2');
      await waitFor('node1 unfenced', async () => ((await role(pair.config('node1'))) === 'primary' ? true : undefined), 30_000);
      expect(await readFence(pair.specs.node1.dataDir)).toBeUndefined();
      expect(await tryWrite(pair.config('node1'))).toBe('written');
    } finally {
      await w.stop();
    }
  });

  it('guard: a primary whose peer cannot be asked at boot starts fenced (a standby) and says so', async () => {
    const node1 = pair.node('node1', FAST);
    await pair.stop('node2');
    await pair.stop('node1');
    try {
      const outcome = await runGuard(node1, { peerWaitMs: 500 });
      expect(outcome.start).toBe('fenced');
      expect(outcome.reason).toMatch(/cannot ask node2 .* whether it is the primary now/);
      expect((await readFence(pair.specs.node1.dataDir))?.by).toBe('guard');
      await pair.start('node1');
      expect(await role(pair.config('node1'))).toBe('standby');
      expect(await tryWrite(pair.config('node1'))).toMatch(/^refused: .*(read-only|during recovery)/);
      // A second guard run (a restart) keeps it fenced: standby.signal is there.
      expect((await runGuard(node1, { peerWaitMs: 0 })).start).toBe('standby');
    } finally {
      await pair.start('node2');
    }
    // The watch lifts the fence once node2 answers as a standby.
    const w = watch(node1, pair.config('node1'));
    try {
      await waitFor('node1 unfenced', async () => ((await role(pair.config('node1'))) === 'primary' ? true : undefined), 30_000);
    } finally {
      await w.stop();
    }
  });

  it('node1 gone: node2 promotes itself once node1 has been silent for promoteAfterMs; node1 coming back is refused by the guard', async () => {
    const node2 = pair.node('node2', { ...FAST, witness: ANSWERING_WITNESS });
    let vip = false;
    const w = watch(node2, pair.config('node2'), () => vip);
    try {
      await waitFor('node2 healthy', async () => ((await health(node2, 'database')).ok ? true : undefined));
      await pair.stop('node1');
      // Keepalived on node2 takes the VIP; the watch sees it and promotes, once the rule allows.
      const since = monotonicMs();
      vip = true;
      const outcome = await decisionSince(node2, since, 'the promotion');
      expect(outcome).toMatchObject({ outcome: 'promoted' });
      expect(outcome.reason).toMatch(/now timeline 2/);
      // Never before the fencing rule allows: promoteAfterMs after node2's last contact with node1
      // (node1 stops answering early in its shutdown, before the stop returns).
      const seen = await readState<WatchState>(node2.settings.stateDir, 'node2', 'watch');
      expect(outcome.atMs - seen!.lastPeerContactMs!).toBeGreaterThanOrEqual(node2.settings.promoteAfterMs);
      expect(await role(pair.config('node2'))).toBe('primary');
      expect(await tryWrite(pair.config('node2'))).toBe('written');
      await waitFor('node2 healthy as the primary', async () =>
        (await health(node2, 'database')).reason === 'the primary, not fenced' ? true : undefined,
      );
    } finally {
      await w.stop();
    }

    // node1 boots again: its guard refuses to start it as a primary (the CLI: exit 5, says `db rejoin`).
    const topology = path.join(pair.root, 'topology.yaml');
    const yaml = (await import('yaml')).stringify(pair.node('node1', FAST).topology);
    await (await import('node:fs')).promises.writeFile(topology, yaml);
    const cli = await runCli(['failover', 'guard', '--topology', topology, '--node', 'node1', '--peer-wait', '2000']);
    expect(cli.code).toBe(5);
    expect(cli.stderr).toMatch(
      /error\[GUARD_REFUSED\]: refusing to start node1 as a primary: node2 \(127\.0\.0\.3:\d+\) is the primary on timeline 2 \(this node: timeline 1\)/,
    );
    expect(cli.stderr).toContain('db rejoin');
    await expect(runGuard(pair.node('node1', FAST), { peerWaitMs: 2000 })).rejects.toBeInstanceOf(GuardRefusedError);
    expect(await readFence(pair.specs.node1.dataDir)).toBeUndefined();
  });
});

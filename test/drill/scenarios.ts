import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MEMBERS, VIP } from './lab.js';
import {
  longestRegisterGap,
  measureRto,
  missingCdrs,
  readAcknowledged,
  readProbes,
  type ScenarioFigures,
  watchAddress,
} from './figures.js';
import { type NodeName, nodeState, PG_PORT, startPostgres } from './pg-nodes.js';
import { type Drill, type Platform, startPlatform, waitFor } from './platform.js';

/** How long a scenario waits for the platform to recover before it counts as failed. */
const RECOVERY_TIMEOUT_MS = 30_000;
/** Traffic kept running before the fault, so that replication and registrations are in their steady state. */
const STEADY_MS = 1500;

export interface Scenario {
  name: string;
  /**
   * What the platform must do: `failover` node 2 takes over by itself (RTO against the VIP move);
   * `stays` node 1 keeps serving and nothing promotes; `restart` both nodes come back after a total
   * outage with one primary (RTO from the boot); `switchover` an operator hands over to node 2.
   */
  expect: 'failover' | 'stays' | 'restart' | 'switchover';
  /** Runs the fault and measures; `signal` aborts it (the scenario's deadline passed). */
  run(platform: Platform, signal: AbortSignal): Promise<ScenarioFigures>;
}

/**
 * A scenario's figures from what it measured: stops the traffic (so no post is in flight), counts
 * the acknowledged CDRs missing on `serving` (the primary at the end) and reads the prober's log.
 */
async function finish(
  platform: Platform,
  serving: NodeName,
  measured: Pick<ScenarioFigures, 'scenario' | 'rtoMs' | 'vipMoveMs' | 'longestRegisterGapMs' | 'notes'>,
): Promise<ScenarioFigures> {
  await platform.stopTraffic();
  const acknowledged = await readAcknowledged(platform.ackLog);
  const missing = await missingCdrs(platform.drill.cluster, serving, acknowledged);
  const probes = await readProbes(platform.probeLog);
  return {
    ...measured,
    notes: missing.length > 0 ? [...measured.notes, `lost CDRs: ${missing.slice(0, 5).join(', ')}`] : measured.notes,
    cdrsLost: missing.length,
    cdrsAcknowledged: acknowledged.length,
    twoPrimaryInstants: probes.both,
    probeInstants: probes.instants,
  };
}

/**
 * `db rejoin` of the old primary as the runbook has it: its PostgreSQL down, the command run on
 * that node against the new primary (whose salvage step copies the CDRs only the old primary
 * had), then PostgreSQL started again; it streams from the new primary.
 */
export async function rejoin(platform: Platform, oldPrimary: NodeName, newPrimary: NodeName): Promise<string> {
  const { drill } = platform;
  const { cluster } = drill;
  // The drill's watch restarts PostgreSQL with pg_ctl (no systemd here): a fence's restart still
  // running would start the server again after the stop below. systemd serializes the two; here
  // the stop waits for it.
  await waitFor(
    `no pg_ctl running on ${oldPrimary} (a fence's restart)`,
    async () => !(await drill.lab.commandLines(oldPrimary)).some((l) => l.includes('/pg_ctl ')),
    60_000,
    100,
  );
  await platform.stopNodePostgres(oldPrimary);
  const output = await drill.db(oldPrimary, [
    'rejoin',
    '--url',
    `postgres://postgres@127.0.0.1:${PG_PORT}/voipdb`,
    '--primary-url',
    `postgres://postgres@${cluster.nodes[newPrimary].address}:${PG_PORT}/voipdb`,
    '--data-dir',
    cluster.nodes[oldPrimary].dataDir,
    '--node',
    oldPrimary,
    '--topology',
    drill.topologyFile,
    '--passfile',
    cluster.passfile,
  ]);
  await startPostgres(drill.lab, cluster, oldPrimary);
  return output;
}

/** Kills every process of node 1, measures the failover, then rejoins node 1 and counts the CDRs. */
async function failoverFrom(
  platform: Platform,
  signal: AbortSignal,
  name: string,
  fault: () => Promise<void>,
  afterRecovery?: (figures: { rtoMs: number | null }) => Promise<string[]>,
): Promise<ScenarioFigures> {
  const { drill } = platform;
  await new Promise((r) => setTimeout(r, STEADY_MS));
  const vip = watchAddress(drill.lab, 'node2');
  const faultAt = Date.now();
  await fault();
  const rtoMs = await measureRto(drill.cluster, platform.sipp, 'node2', faultAt, RECOVERY_TIMEOUT_MS, signal);
  const vipAt = await Promise.race([vip.appeared, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  vip.cancel();
  if (rtoMs === null) {
    // No recovery: say where things stand instead of failing later in the rejoin.
    const states = `node 1 ${await nodeState(drill.cluster, 'node1')}, node 2 ${await nodeState(drill.cluster, 'node2')}`;
    const vipOn = (await drill.lab.hasAddress('node2', VIP)) ? 'node 2' : (await drill.lab.hasAddress('node1', VIP)) ? 'node 1' : 'nobody';
    const promotion = await fs.readFile(path.join(drill.root, 'state', 'node2.promotion.json'), 'utf8').catch(() => 'no promotion state');
    throw new Error(
      `no 200 OK REGISTER written on node 2 within ${RECOVERY_TIMEOUT_MS} ms of the fault: ${states}; VIP on ${vipOn}; node 2's promotion: ${promotion.trim()}`,
    );
  }
  const notes: string[] = [];
  const gap = await longestRegisterGap(platform.sipp, faultAt, Date.now());
  if (afterRecovery) notes.push(...(await afterRecovery({ rtoMs })));
  signal.throwIfAborted();
  const rejoined = await rejoin(platform, 'node1', 'node2');
  notes.push(...rejoined.split('\n').filter((l) => /salvag|CDR|kept|aside/i.test(l)));
  return finish(platform, 'node2', {
    scenario: name,
    rtoMs,
    vipMoveMs: vipAt === null ? null : vipAt - faultAt,
    longestRegisterGapMs: gap,
    notes,
  });
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'node 1 killed (every process)',
    expect: 'failover',
    run: (p, signal) => failoverFrom(p, signal, 'node 1 killed', async () => void (await p.drill.lab.killAll('node1'))),
  },
  {
    name: "node 1's link cut (isolated)",
    expect: 'failover',
    run: (p, signal) =>
      failoverFrom(
        p,
        signal,
        'node 1 isolated',
        () => p.drill.lab.cutLink('node1'),
        async () => {
          // The isolated node must have fenced itself; then the link comes back and rejoin follows.
          const state = await nodeState(p.drill.cluster, 'node1');
          const vipOnNode1 = await p.drill.lab.hasAddress('node1', VIP);
          await p.drill.lab.restoreLink('node1');
          return [`node 1 while isolated: ${state}, VIP ${vipOnNode1 ? 'still on it' : 'given up'}`];
        },
      ),
  },
  {
    name: 'node 1 rebooted after failover',
    expect: 'failover',
    run: (p, signal) =>
      failoverFrom(
        p,
        signal,
        'node 1 rebooted after failover',
        async () => void (await p.drill.lab.killAll('node1')),
        async () => {
          // The reboot: the service manager runs the guard, which must refuse (node 2 is the primary now).
          const boot = await p.boot('node1');
          const state = await nodeState(p.drill.cluster, 'node1');
          if (boot.guard !== 'refused' && state === 'primary') {
            throw new Error(`node 1 came back as a writable primary after its reboot (guard: ${boot.guard}): ${boot.output}`);
          }
          // Keep the probes running a little: a node that started writable would show up as two primaries.
          await new Promise((r) => setTimeout(r, 2000));
          return [`after the reboot: guard ${boot.guard}, node 1 ${state}`];
        },
      ),
  },
  {
    name: 'node 2 killed (node 1 keeps serving, nothing promotes)',
    expect: 'stays',
    async run(p, signal) {
      const { drill } = p;
      await new Promise((r) => setTimeout(r, STEADY_MS));
      const faultAt = Date.now();
      await drill.lab.killAll('node2');
      // Longer than any promotion or fence could take: the lease, promoteAfterMs, Keepalived's timers.
      const watchUntil = faultAt + 8000;
      let vipLeftNode1 = false;
      let node1NotPrimary = false;
      while (Date.now() < watchUntil) {
        signal.throwIfAborted();
        if (!(await drill.lab.hasAddress('node1', VIP))) vipLeftNode1 = true;
        if ((await nodeState(drill.cluster, 'node1')) !== 'primary') node1NotPrimary = true;
        await new Promise((r) => setTimeout(r, 200));
      }
      const gap = await longestRegisterGap(p.sipp, faultAt, Date.now());
      const notes = [
        `VIP ${vipLeftNode1 ? 'LEFT' : 'stayed on'} node 1; node 1 ${node1NotPrimary ? 'was NOT always' : 'stayed'} a writable primary`,
      ];
      if (vipLeftNode1 || node1NotPrimary) throw new Error(`node 2 killed: ${notes.join('; ')}`);
      return finish(p, 'node1', { scenario: 'node 2 killed', rtoMs: null, vipMoveMs: null, longestRegisterGapMs: gap, notes });
    },
  },
  {
    name: 'both nodes down, then both up (a power cut of the pair)',
    expect: 'restart',
    async run(p, signal) {
      const { drill } = p;
      await new Promise((r) => setTimeout(r, STEADY_MS));
      await Promise.all([drill.lab.killAll('node1'), drill.lab.killAll('node2')]);
      await new Promise((r) => setTimeout(r, 2000));
      // Both service managers start at once: each node's guard, then its PostgreSQL and services.
      const bootAt = Date.now();
      const boots = await Promise.all([p.boot('node1'), p.boot('node2')]);
      // Node 1 was the primary and its data is intact: it must be the primary again, node 2 its standby.
      const rtoMs = await measureRto(drill.cluster, p.sipp, 'node1', bootAt, 60_000, signal);
      if (rtoMs === null) {
        throw new Error(
          `no 200 OK REGISTER written on node 1 within 60 s of the boot: node 1 ${await nodeState(drill.cluster, 'node1')}, node 2 ${await nodeState(drill.cluster, 'node2')}; guards: ${boots.map((b) => `${b.guard}: ${b.output.trim()}`).join(' | ')}`,
        );
      }
      await waitFor(
        'node 2 streaming from node 1',
        async () => (await nodeState(drill.cluster, 'node2')) === 'standby',
        30_000,
        200,
        signal,
      );
      const gap = await longestRegisterGap(p.sipp, bootAt, Date.now());
      return finish(p, 'node1', {
        scenario: 'both down, then both up',
        rtoMs,
        vipMoveMs: null,
        longestRegisterGapMs: gap,
        notes: [`RTO counted from the boot; guards: ${boots.map((b) => `${b.guard} (${b.output.trim().split('\n').pop()})`).join('; ')}`],
      });
    },
  },
  {
    name: 'planned switchover to node 2 (db failover switchover)',
    expect: 'switchover',
    async run(p, signal) {
      const { drill } = p;
      await new Promise((r) => setTimeout(r, STEADY_MS));
      const vip = watchAddress(drill.lab, 'node2');
      const startAt = Date.now();
      const output = await drill.db('node1', ['failover', 'switchover', '--topology', drill.topologyFile, '--node', 'node1']);
      const rtoMs = await measureRto(drill.cluster, p.sipp, 'node2', startAt, RECOVERY_TIMEOUT_MS, signal);
      const vipAt = await Promise.race([vip.appeared, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      vip.cancel();
      if (rtoMs === null)
        throw new Error(`no 200 OK REGISTER written on node 2 within ${RECOVERY_TIMEOUT_MS} ms of the switchover: ${output}`);
      // Node 1 follows node 2 at once: no rejoin, nothing to salvage.
      await waitFor('node 1 a standby of node 2', async () => (await nodeState(drill.cluster, 'node1')) === 'standby', 30_000, 200, signal);
      const gap = await longestRegisterGap(p.sipp, startAt, Date.now());
      const figures = await finish(p, 'node2', {
        scenario: 'planned switchover',
        rtoMs,
        vipMoveMs: vipAt === null ? null : vipAt - startAt,
        longestRegisterGapMs: gap,
        notes: [output.trim().split('\n').pop() ?? ''],
      });
      if (figures.cdrsLost > 0) throw new Error(`the switchover lost acknowledged CDRs: ${figures.notes.join('; ')}`);
      return figures;
    },
  },
];

/**
 * Longest a scenario may take, start to teardown; past it the scenario is torn down (every process
 * of the lab killed) so that the next one starts clean, and it fails naming the deadline.
 */
export const SCENARIO_DEADLINE_MS = 150_000;

/** Runs one scenario on a fresh platform; the platform is stopped whatever happens (its logs stay in the drill's folder). */
export async function runScenario(drill: Drill, scenario: Scenario): Promise<ScenarioFigures> {
  const controller = new AbortController();
  let platform: Platform | undefined;
  const work = (async () => {
    platform = await startPlatform(drill, controller.signal);
    return scenario.run(platform, controller.signal);
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`did not finish within ${SCENARIO_DEADLINE_MS} ms`));
    }, SCENARIO_DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    const logs = path.join(drill.root, 'run');
    throw new Error(
      `${scenario.name}: ${(error as Error).message}\n(logs: ${logs}${process.env.DRILL_KEEP ? '' : '; set DRILL_KEEP=1 to keep them'})`,
    );
  } finally {
    clearTimeout(timer);
    controller.abort();
    // Every wait of the scenario checks the signal, so it settles soon after the abort; a command
    // still running (pg_ctl -w, db rejoin) is given 20 s, then everything in the lab is killed anyway.
    await Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, 20_000))]);
    const started = platform as Platform | undefined;
    if (started) await started.stop();
    else for (const member of MEMBERS) await drill.lab.killAll(member);
  }
}

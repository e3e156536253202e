import type { ScenarioFigures } from '../../test/drill/figures.js';
import { createDrill } from '../../test/drill/platform.js';
import { runScenario, SCENARIOS } from '../../test/drill/scenarios.js';
import { figure, type Figure } from '../lib/figure.js';
import { percentile } from '../lib/stats.js';

/**
 * 10. The failover drill (test/drill), each scenario `runs` times on the same lab: for the
 *    scenarios where node 2 takes over, the RTO (fault -> first 200 OK REGISTER through the VIP
 *    written on the new primary) as its p95 against the p95 of Keepalived's own VIP move time
 *    measured in the same runs (target: at most 2x); over every run, the acknowledged CDRs missing
 *    after rejoin's salvage and the probe instants with two writable primaries (target: 0 each).
 *    A run that fails (the platform did not recover within the scenario's limits) is counted and
 *    named in the notes; its RTO counts as missing, which fails the target. The planned
 *    switchover's and the pair's restart's RTO are reported without a floor.
 */
export async function benchDrill(runs: number): Promise<Figure[]> {
  const drill = await createDrill();
  const results = new Map<string, ScenarioFigures[]>();
  const failures: string[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      for (const scenario of SCENARIOS) {
        process.stdout.write(`[bench] 10: drill run ${run}/${runs}: ${scenario.name} ... `);
        try {
          const f = await runScenario(drill, scenario);
          results.set(scenario.name, [...(results.get(scenario.name) ?? []), f]);
          console.log(
            `RTO ${f.rtoMs ?? '-'} ms, VIP move ${f.vipMoveMs ?? '-'} ms, CDRs lost ${f.cdrsLost}, two primaries ${f.twoPrimaryInstants}`,
          );
        } catch (error) {
          failures.push(`run ${run} ${scenario.name}: ${(error as Error).message.split('\n')[0]}`);
          console.log('FAILED');
        }
      }
    }
  } finally {
    await drill.destroy();
  }

  const figures: Figure[] = [];
  for (const scenario of SCENARIOS.filter((s) => s.expect === 'failover')) {
    const done = results.get(scenario.name) ?? [];
    const rto = done.map((f) => f.rtoMs).filter((v): v is number => v !== null);
    const vip = done.map((f) => f.vipMoveMs).filter((v): v is number => v !== null);
    const missing = runs - rto.length;
    const key = scenario.name
      .replace(/\(.*\)/, '')
      .trim()
      .replace(/['’]/g, '')
      .replace(/\W+/g, '-')
      .toLowerCase();
    const ratios = done.filter((f) => f.rtoMs !== null && f.vipMoveMs).map((f) => f.rtoMs! / f.vipMoveMs!);
    const f = figure({
      id: `10 rto-${key}`,
      what: `failover drill, ${scenario.name}: RTO p95 of ${runs}`,
      unit: 'ms',
      value: rto.length > 0 ? percentile(rto, 95) : Number.NaN,
      samples: rto,
      floorWhat: "Keepalived's VIP move, p95 (same runs)",
      floor: vip.length > 0 ? percentile(vip, 95) : null,
      floorSamples: vip,
      target: { op: '<=', ratio: 2 },
      note:
        `per-run RTO/VIP-move ratio p95 ${ratios.length ? percentile(ratios, 95).toFixed(2) : '-'}, max RTO ${rto.length ? Math.max(...rto) : '-'} ms` +
        (missing > 0 ? `; ${missing} run(s) without recovery` : ''),
    });
    // A run that never recovered has no RTO: the target is missed, whatever the others say.
    figures.push(missing > 0 ? { ...f, met: false } : f);
  }
  // The planned switchover and the pair's restart have no Keepalived move to compare with: their
  // RTO p95 is reported against no floor (target null), beside the bounds the drill test asserts.
  for (const scenario of SCENARIOS.filter((s) => s.expect === 'switchover' || s.expect === 'restart')) {
    const rto = (results.get(scenario.name) ?? []).map((f) => f.rtoMs).filter((v): v is number => v !== null);
    figures.push(
      figure({
        id: `10 rto-${scenario.expect}`,
        what: `failover drill, ${scenario.name}: RTO p95 of ${runs}`,
        unit: 'ms',
        value: rto.length > 0 ? percentile(rto, 95) : Number.NaN,
        samples: rto,
        floorWhat: '-',
        floor: null,
        floorSamples: [],
        target: null,
        note: `the drill test's bound: ${scenario.expect === 'switchover' ? 'under 10 s' : 'under 30 s from the boot'}; ${runs - rto.length} run(s) without recovery`,
      }),
    );
  }
  const all = [...results.values()].flat();
  const count = (id: string, what: string, value: number, note: string): Figure => ({
    ...figure({
      id,
      what,
      unit: 'count',
      value,
      samples: [value],
      floorWhat: '-',
      floor: null,
      floorSamples: [],
      target: { op: '<=', ratio: 0 },
      note,
    }),
    met: value === 0 && failures.length === 0,
  });
  const acknowledged = all.reduce((n, f) => n + f.cdrsAcknowledged, 0);
  const probes = all.reduce((n, f) => n + f.probeInstants, 0);
  figures.push(
    count(
      '10 rto-cdrs-lost',
      `failover drill: acknowledged CDRs missing after rejoin, all ${all.length} runs`,
      all.reduce((n, f) => n + f.cdrsLost, 0),
      `${acknowledged} CDRs acknowledged in all${failures.length ? `; failed runs: ${failures.join(' | ')}` : ''}`,
    ),
    count(
      '10 rto-two-primaries',
      `failover drill: instants with two writable primaries, all ${all.length} runs`,
      all.reduce((n, f) => n + f.twoPrimaryInstants, 0),
      `${probes} probe instants (one write tried on each node every 100 ms)`,
    ),
  );
  return figures;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioFigures } from './figures.js';
import { createDrill, type Drill } from './platform.js';
import { runScenario, SCENARIO_DEADLINE_MS, SCENARIOS } from './scenarios.js';

/**
 * The failover drill, as the platform lives it: two nodes and the phones in Linux network
 * namespaces joined by one bridge (no route to this machine's network: checked first), on each
 * node PostgreSQL 18, Keepalived driven by voipdb, Kamailio 5.6.3 in usrloc db_mode 3 and a VoIP
 * Admin stand-in; sipp registering and a CDR poster posting through the VIP without pause, and a
 * prober trying a write on both databases every 100 ms. Each scenario starts from the same
 * stopped pair. Goals: RTO at most 2x Keepalived's own VIP move time of the same run and under
 * 10 s, no acknowledged CDR lost, never two writable primaries.
 */
const figures: ScenarioFigures[] = [];

describe('failover drill (network namespaces, Keepalived, PostgreSQL 18, Kamailio, sipp)', () => {
  let drill: Drill;

  beforeAll(async () => {
    drill = await createDrill();
  }, 240_000);

  afterAll(async () => {
    for (const f of figures) {
      console.log(
        `[drill] ${f.scenario}: RTO ${f.rtoMs ?? '-'} ms, VIP move ${f.vipMoveMs ?? '-'} ms, CDRs lost ${f.cdrsLost}/${f.cdrsAcknowledged}, two-primary instants ${f.twoPrimaryInstants}/${f.probeInstants}, longest REGISTER gap ${f.longestRegisterGapMs} ms${f.notes.length ? ` (${f.notes.join('; ')})` : ''}`,
      );
    }
    await drill?.destroy();
  }, 60_000);

  for (const scenario of SCENARIOS) {
    it(
      scenario.name,
      async () => {
        const f = await runScenario(drill, scenario);
        figures.push(f);
        const summary = JSON.stringify(f);
        expect(f.probeInstants, summary).toBeGreaterThan(10);
        expect(f.cdrsAcknowledged, summary).toBeGreaterThan(0);
        expect(f.twoPrimaryInstants, summary).toBe(0);
        expect(f.cdrsLost, summary).toBe(0);
        if (scenario.expect === 'failover') {
          expect(f.rtoMs, summary).not.toBeNull();
          expect(f.vipMoveMs, summary).not.toBeNull();
          expect(f.rtoMs!, summary).toBeLessThan(10_000);
          expect(f.rtoMs!, summary).toBeLessThanOrEqual(2 * f.vipMoveMs!);
        } else if (scenario.expect === 'stays') {
          expect(f.rtoMs, summary).toBeNull();
          // The VIP and the primary stay: the phones see no more than a lost REGISTER or two.
          expect(f.longestRegisterGapMs, summary).toBeLessThan(3000);
        } else if (scenario.expect === 'switchover') {
          // Planned: the handover itself (a restart of node 1 and a promotion) bounds the outage.
          expect(f.rtoMs, summary).not.toBeNull();
          expect(f.rtoMs!, summary).toBeLessThan(10_000);
        } else {
          // A total outage: from the boot, the guard's wait for the peer and Keepalived's start count too.
          expect(f.rtoMs, summary).not.toBeNull();
          expect(f.rtoMs!, summary).toBeLessThan(30_000);
        }
        // The scenario tears itself down at its deadline; this leaves room for that.
      },
      SCENARIO_DEADLINE_MS + 40_000,
    );
  }
});

import { setImmediate as nextTurn } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import {
  type DirectoryCache,
  createDb,
  createDirectoryCache,
  createExtension,
  kyselyOnConnection,
  lookupDirectoryUser,
  setExtensionPassword,
} from '../../dist/client/index.js';
import { SCALE_DOMAIN, SCALE_FIRST_EXTENSION } from '../../src/voip/demo-data.js';
import { applyAllMigrations } from '../../test/support/migrate.js';
import { nodeConfig, startReplicationPair, waitForCatchUp } from '../../test/support/standby.js';
import type { BenchContext } from '../lib/context.js';
import { figure, type Figure } from '../lib/figure.js';
import { median } from '../lib/stats.js';
import { opsPerSecond } from '../lib/throughput.js';

const CONCURRENCY = 4;
const WINDOW_MS = 1500;
/** Users the cached figure cycles through: all fit the default cache (10,000 entries). */
const WORKING_SET = 5000;
const FLOOD = 10_000;
const FLOOD_CONCURRENCY = 16;
const BOUND_MS = 1000;
const STALE_CHANGES = 40;

/**
 * 4. The directory cache (createDirectoryCache, built) on section 4's database:
 * - cached lookups/s against uncached ones (lookupDirectoryUser) in the same run;
 * - a scanner flood: 10,000 distinct unknown users at full speed during a window of known-user
 *   lookups, against the same window without the flood; the flood's queries are counted.
 * Each lookup in the flood figure is one turn of the event loop (as one HTTP request each would
 * be): otherwise cache hits, which never wait for I/O, would starve the flood's own I/O.
 */
export async function benchDirectoryCache(ctx: BenchContext, database: string, runs: number): Promise<Figure[]> {
  const db = createDb(ctx.config(database), { maxConnections: CONCURRENCY, applicationName: 'voipdb-bench' });
  const pick = (i: number): string => String(SCALE_FIRST_EXTENSION + ((i * 7919) % WORKING_SET));
  const caches: DirectoryCache[] = [];
  const open = (options: Parameters<typeof createDirectoryCache>[1]): DirectoryCache => {
    const cache = createDirectoryCache(db, options);
    caches.push(cache);
    return cache;
  };
  try {
    const cache = open({ maxStalenessMs: BOUND_MS });
    await cache.refresh();
    for (let i = 0; i < WORKING_SET; i++) await cache.lookup({ domain: SCALE_DOMAIN, user: pick(i) });

    const cached = { measured: [] as number[], floor: [] as number[] };
    const cachedOnce = (): Promise<number> =>
      opsPerSecond(CONCURRENCY, WINDOW_MS, (i) => cache.lookup({ domain: SCALE_DOMAIN, user: pick(i) }));
    const uncachedOnce = (): Promise<number> =>
      opsPerSecond(CONCURRENCY, WINDOW_MS, (i) => lookupDirectoryUser(db, { domain: SCALE_DOMAIN, user: pick(i) }));
    await cachedOnce();
    await uncachedOnce();
    for (let i = 0; i < runs; i++) {
      cached.measured.push(await cachedOnce());
      cached.floor.push(await uncachedOnce());
    }
    const queriesBefore = cache.stats().queries;
    await cachedOnce();
    const missesInWindow = cache.stats().queries - queriesBefore;

    // Known users, one request per turn of the event loop, for one window; with a flood started
    // at the window's beginning when `flood` is given.
    let floodRound = 0;
    const knownWindow = async (
      target: DirectoryCache,
      flood: boolean,
    ): Promise<{ known: number; floodMs: number; floodQueries: number; knownDuringFlood: number }> => {
      const round = floodRound++;
      const before = target.stats().queries;
      let floodMs = 0;
      let floodActive = flood;
      let knownDuringFlood = 0;
      const flooding = flood
        ? (async () => {
            const started = performance.now();
            let next = 0;
            await Promise.all(
              Array.from({ length: FLOOD_CONCURRENCY }, async () => {
                while (next < FLOOD) {
                  const user = `scan-${round}-${next++}`;
                  await nextTurn();
                  if ((await target.lookup({ domain: SCALE_DOMAIN, user })) !== undefined) throw new Error(`${user} was found`);
                }
              }),
            );
            floodMs = performance.now() - started;
            floodActive = false;
          })()
        : Promise.resolve();
      const known = await opsPerSecond(CONCURRENCY, WINDOW_MS, async (i) => {
        await nextTurn();
        await target.lookup({ domain: SCALE_DOMAIN, user: pick(i) });
        if (floodActive) knownDuringFlood++;
      });
      await flooding;
      return {
        known,
        floodMs,
        floodQueries: target.stats().queries - before,
        knownDuringFlood: (knownDuringFlood * 1000) / Math.max(1, floodMs),
      };
    };
    const floodRuns = async (
      target: DirectoryCache,
    ): Promise<{ measured: number[]; floor: number[]; floodMs: number[]; queries: number[]; strict: number[] }> => {
      await target.refresh();
      for (let i = 0; i < WORKING_SET; i++) await target.lookup({ domain: SCALE_DOMAIN, user: pick(i) });
      await knownWindow(target, false);
      const out = {
        measured: [] as number[],
        floor: [] as number[],
        floodMs: [] as number[],
        queries: [] as number[],
        strict: [] as number[],
      };
      for (let i = 0; i < runs; i++) {
        const during = await knownWindow(target, true);
        out.measured.push(during.known);
        out.floodMs.push(during.floodMs);
        out.queries.push(during.floodQueries);
        out.strict.push(during.knownDuringFlood);
        out.floor.push((await knownWindow(target, false)).known);
      }
      return out;
    };
    const flood = await floodRuns(cache);
    // The same without the key set (a directory over maxDirectoryKeys): each unknown name is one query.
    const noKeys = await floodRuns(open({ maxStalenessMs: BOUND_MS, maxDirectoryKeys: 0 }));

    return [
      figure({
        id: '4 directory-cache',
        what: `DirectoryCache.lookup, ${WORKING_SET} users cached (${CONCURRENCY} concurrent)`,
        unit: 'ops/s',
        value: median(cached.measured),
        samples: cached.measured,
        floorWhat: 'lookupDirectoryUser, same users, pool of 4',
        floor: median(cached.floor),
        floorSamples: cached.floor,
        target: { op: '>=', ratio: 20 },
        note: `queries sent by the cache in one more window: ${missesInWindow} (the counter is read every ${BOUND_MS / 4} ms besides)`,
      }),
      figure({
        id: '4 directory-flood',
        what: `known users during a flood of ${FLOOD} unknown (${FLOOD_CONCURRENCY} concurrent)`,
        unit: 'ops/s',
        value: median(flood.measured),
        samples: flood.measured,
        floorWhat: `known users, same ${WINDOW_MS} ms window, no flood`,
        floor: median(flood.floor),
        floorSamples: flood.floor,
        target: { op: '>=', ratio: 0.8 },
        note:
          `database queries per flood: ${median(flood.queries)} (key set of ${cache.stats().directoryKeys} names); the flood took ${Math.round(median(flood.floodMs))} ms, ` +
          `known users within those ms alone: ${Math.round(median(flood.strict))}/s (${(median(flood.strict) / median(flood.floor)).toFixed(2)}: flood and known lookups take turns on one event loop). ` +
          `Without the key set: ${median(noKeys.queries)} queries, flood ${Math.round(median(noKeys.floodMs))} ms, ratio ${(median(noKeys.measured) / median(noKeys.floor)).toFixed(2)}`,
      }),
    ];
  } finally {
    for (const cache of caches) cache.close();
    await db.destroy();
  }
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * 4. Staleness, measured on a real primary + hot standby (PostgreSQL 18, the test harness's pair):
 * a password changed on the primary, then both nodes' caches and a direct query on the standby
 * asked every millisecond until each gives the new hash. On the primary: from the change's
 * commit to the first cached answer with the new hash. On the standby: from the moment a direct
 * query there first saw it (the replication delay, reported) to the first cached answer.
 */
export async function benchDirectoryStaleness(): Promise<Figure[]> {
  const pair = await startReplicationPair('pg18');
  try {
    await pg18Prepare(pair);
    const primary = createDb(nodeConfig(pair.primary, 'voipdb'), { maxConnections: CONCURRENCY, applicationName: 'voipdb-bench' });
    const standby = createDb(nodeConfig(pair.standby, 'voipdb'), { maxConnections: CONCURRENCY, applicationName: 'voipdb-bench' });
    const onPrimary = createDirectoryCache(primary, { maxStalenessMs: BOUND_MS });
    const onStandby = createDirectoryCache(standby, { maxStalenessMs: BOUND_MS });
    try {
      await Promise.all([onPrimary.refresh(), onStandby.refresh()]);
      const lookup = { domain: 'stale.example.net', user: '1001' };
      const samples = { primary: [] as number[], standby: [] as number[], standbyFromCommit: [] as number[], replication: [] as number[] };
      for (let change = 0; change < STALE_CHANGES; change++) {
        const old = (await onPrimary.lookup(lookup))!.a1Hash;
        await onStandby.lookup(lookup);
        await setExtensionPassword(primary, { domain: lookup.domain, extension: lookup.user, password: `changed-${change}` });
        const committed = performance.now();
        const firstNew = async (ask: () => Promise<{ a1Hash: string } | undefined>): Promise<number> => {
          for (;;) {
            const askedAt = performance.now();
            if ((await ask())?.a1Hash !== old) return askedAt;
            if (askedAt - committed > 30_000) throw new Error('a password change did not arrive within 30 s');
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
        };
        const [p, s, r] = await Promise.all([
          firstNew(() => onPrimary.lookup(lookup)),
          firstNew(() => onStandby.lookup(lookup)),
          firstNew(() => lookupDirectoryUser(standby, lookup)),
        ]);
        samples.primary.push(p - committed);
        samples.replication.push(r - committed);
        samples.standby.push(Math.max(0, s - r));
        samples.standbyFromCommit.push(s - committed);
        // Spread the changes over the polling period, so they do not all fall just after a read.
        await new Promise((resolve) => setTimeout(resolve, 37 + (change % 7) * 31));
      }
      const p99 = (list: number[]): number => percentile(list, 99);
      return [
        figure({
          id: '4 directory-stale-primary',
          what: `password change -> cached on the primary, p99 of ${STALE_CHANGES}`,
          unit: 'ms',
          value: p99(samples.primary),
          samples: samples.primary,
          floorWhat: 'maxStalenessMs (the bound)',
          floor: BOUND_MS,
          floorSamples: [],
          target: { op: '<=', ratio: 1 },
          note: `median ${median(samples.primary).toFixed(1)} ms`,
        }),
        figure({
          id: '4 directory-stale-standby',
          what: `visible on the standby -> cached there, p99 of ${STALE_CHANGES}`,
          unit: 'ms',
          value: p99(samples.standby),
          samples: samples.standby,
          floorWhat: 'maxStalenessMs (the bound)',
          floor: BOUND_MS,
          floorSamples: [],
          target: { op: '<=', ratio: 1 },
          note:
            `median ${median(samples.standby).toFixed(1)} ms; replication delay (commit on the primary -> a direct query on the standby sees it) ` +
            `median ${median(samples.replication).toFixed(1)} ms, p99 ${p99(samples.replication).toFixed(1)} ms (harness servers run synchronous_commit=off, WAL written every wal_writer_delay); ` +
            `commit on the primary -> cached on the standby p99 ${p99(samples.standbyFromCommit).toFixed(1)} ms`,
        }),
      ];
    } finally {
      onPrimary.close();
      onStandby.close();
      await standby.destroy();
      await primary.destroy();
    }
  } finally {
    await pair.stop();
  }
}

async function pg18Prepare(pair: Awaited<ReturnType<typeof startReplicationPair>>): Promise<void> {
  const admin = new pg.Client(nodeConfig(pair.primary));
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE voipdb');
  } finally {
    await admin.end();
  }
  await applyAllMigrations(nodeConfig(pair.primary, 'voipdb'));
  const client = new pg.Client(nodeConfig(pair.primary, 'voipdb'));
  await client.connect();
  try {
    await sql`INSERT INTO voip.domains (name) VALUES ('stale.example.net')`.execute(kyselyOnConnection(client));
    await createExtension(kyselyOnConnection(client), { domain: 'stale.example.net', extension: '1001', password: 'first' });
  } finally {
    await client.end();
  }
  await waitForCatchUp(pair);
}

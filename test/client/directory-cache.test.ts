import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createExtension, kyselyOnConnection } from '../../src/client/index.js';
import type { DB } from '../../src/generated/db.js';
import {
  ClientInputInvalidError,
  type DirectoryCache,
  DirectoryCacheStaleError,
  type DirectoryLookup,
  type DirectoryUser,
  createDb,
  createDirectoryCache,
  lookupDirectoryUser,
  setExtensionPassword,
} from '../../src/index.js';
import { type ReplicationPair, startReplicationPair, waitForCatchUp, migratedVoipdbOnPair } from '../support/standby.js';

const DOMAIN = 'cache.example.net';
const BOUND_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The directory cache on a real PostgreSQL 18 primary + hot standby: every change that alters a
 * directory answer reaches the cache on each node within its bound (on the standby: the bound
 * after the change is visible there), a lost connection serves nothing past the bound, and a
 * promoted standby goes on without a restart.
 */
describe('directory cache on a primary and a hot standby (pg18 pair)', () => {
  let pair: ReplicationPair;
  let primary: Kysely<DB>;
  let standby: Kysely<DB>;
  let onPrimary: DirectoryCache;
  let onStandby: DirectoryCache;

  beforeAll(async () => {
    pair = await startReplicationPair('pg18');
    const voipdb = await migratedVoipdbOnPair(pair, async (admin) => {
      await admin.query(`INSERT INTO voip.domains (name, params) VALUES ($1, '{"dial-string": "{x}"}'), ('other.example.net', '{}')`, [
        DOMAIN,
      ]);
      const provision = kyselyOnConnection(admin);
      for (let i = 0; i < 30; i++) {
        await createExtension(provision, {
          domain: DOMAIN,
          extension: String(1000 + i),
          password: `secret-${i}`,
          displayName: `User ${i}`,
        });
      }
      await admin.query(`UPDATE voip.extensions SET number_alias = 'alice' WHERE extension = '1000'`);
      for (let i = 1; i <= 3; i++)
        await createExtension(provision, { domain: 'other.example.net', extension: `300${i}`, password: `other-${i}` });
    });
    primary = createDb(voipdb.primary, { applicationName: 'cache-primary', maxConnections: 4 });
    standby = createDb(voipdb.standby, {
      applicationName: 'cache-standby',
      maxConnections: 4,
      connectionTimeoutMs: 1000,
    });
    onPrimary = createDirectoryCache(primary, { maxStalenessMs: BOUND_MS });
    onStandby = createDirectoryCache(standby, { maxStalenessMs: BOUND_MS });
  }, 120_000);
  afterAll(async () => {
    onPrimary?.close();
    onStandby?.close();
    await standby?.destroy();
    await primary?.destroy();
    await pair?.stop();
  });

  test('answers as lookupDirectoryUser does, the second time from memory', async () => {
    const lookups: DirectoryLookup[] = [
      { domain: DOMAIN, user: '1001' },
      { domain: DOMAIN.toUpperCase(), user: '1002' },
      { domain: DOMAIN, user: 'alice', key: 'number-alias' },
      { domain: DOMAIN, user: 'alice' },
      { domain: DOMAIN, user: '9999' },
      { domain: 'unknown.example.net', user: '1001' },
      { domain: 'other.example.net', user: '1001' },
      { domain: 'other.example.net', user: '3001' },
    ];
    for (const cache of [onPrimary, onStandby]) {
      await cache.refresh();
      for (const lookup of lookups) {
        const direct = await lookupDirectoryUser(primary, lookup);
        expect(await cache.lookup(lookup)).toEqual(direct);
        const before = cache.stats().queries;
        expect(await cache.lookup(lookup)).toEqual(direct);
        expect(cache.stats().queries).toBe(before);
      }
      expect((await cache.lookup({ domain: DOMAIN, user: '1001' }))?.a1Hash).toMatch(/^[0-9a-f]{32}$/);
    }
    // Shared answers cannot be changed by one caller for the next.
    const user = await onPrimary.lookup({ domain: DOMAIN, user: '1001' });
    expect(Object.isFrozen(user)).toBe(true);
    expect(Object.isFrozen(user?.domainParams)).toBe(true);
  });

  test('wrong input is refused as lookupDirectoryUser refuses it, before any query', async () => {
    const before = onPrimary.stats().queries;
    const error = await onPrimary.lookup({ domain: '', user: '1001' } as DirectoryLookup).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientInputInvalidError);
    expect((error as ClientInputInvalidError).field).toBe('domain');
    await expect(onPrimary.lookup({ domain: DOMAIN, user: '1', key: 'x' } as unknown as DirectoryLookup)).rejects.toThrow(
      ClientInputInvalidError,
    );
    expect(onPrimary.stats().queries).toBe(before);
    expect(() => createDirectoryCache(primary, { maxStalenessMs: 0 })).toThrow(/maxStalenessMs must be a number of at least 1/);
  });

  test('a flood of distinct unknown users costs no query with the key set, and a bounded memory without it', async () => {
    await onPrimary.refresh();
    const before = onPrimary.stats();
    expect(before.directoryKeys).toBe(34); // 33 extensions + one number-alias
    const flood = Array.from({ length: 5000 }, (_, i) => onPrimary.lookup({ domain: DOMAIN, user: `scan${i}` }));
    expect((await Promise.all(flood)).every((answer) => answer === undefined)).toBe(true);
    expect(onPrimary.stats().queries).toBe(before.queries);
    expect(onPrimary.stats().keySetHits - before.keySetHits).toBe(5000);

    const noKeys = createDirectoryCache(primary, { maxStalenessMs: BOUND_MS, maxDirectoryKeys: 0, maxNegativeEntries: 100 });
    try {
      await noKeys.refresh();
      for (let i = 0; i < 300; i++) expect(await noKeys.lookup({ domain: DOMAIN, user: `scan${i}` })).toBeUndefined();
      expect(noKeys.stats()).toMatchObject({ queries: 300, negativeEntries: 100, directoryKeys: 0 });
      // The newest 100 "not found" answers are remembered: asking again costs nothing.
      for (let i = 200; i < 300; i++) expect(await noKeys.lookup({ domain: DOMAIN, user: `scan${i}` })).toBeUndefined();
      expect(noKeys.stats()).toMatchObject({ queries: 300, negativeHits: 100 });
    } finally {
      noKeys.close();
    }
  });

  test('memory stays within maxEntries and maxBytes', async () => {
    const small = createDirectoryCache(primary, { maxStalenessMs: BOUND_MS, maxEntries: 5 });
    const tiny = createDirectoryCache(primary, { maxStalenessMs: BOUND_MS, maxBytes: 8 * 1024 });
    try {
      for (let i = 0; i < 30; i++) {
        const lookup = { domain: DOMAIN, user: String(1000 + i) };
        const direct = await lookupDirectoryUser(primary, lookup);
        expect(await small.lookup(lookup)).toEqual(direct);
        expect(await tiny.lookup(lookup)).toEqual(direct);
        expect(small.stats().entries).toBeLessThanOrEqual(5);
        expect(tiny.stats().bytes).toBeLessThanOrEqual(8 * 1024);
      }
      expect(small.stats().entries).toBe(5);
      expect(tiny.stats().entries).toBeGreaterThan(0);
      expect(tiny.stats().entries).toBeLessThan(30);
    } finally {
      small.close();
      tiny.close();
    }
  });

  /**
   * Runs `change` on the primary while both caches are asked for `lookup` in a loop, and checks
   * that no answer asked for later than the bound after the change became visible on that node
   * is the old one: on the primary, visible = when the change's commit returned; on the standby,
   * when a direct query there first saw it. Returns how long each cache took.
   */
  async function expectWithinBound(
    lookup: DirectoryLookup,
    isNew: (answer: DirectoryUser | undefined) => boolean,
    change: () => Promise<unknown>,
  ): Promise<{ primaryMs: number; standbyMs: number; replicationMs: number }> {
    for (const cache of [onPrimary, onStandby]) expect(isNew(await cache.lookup(lookup))).toBe(false);
    expect(isNew(await lookupDirectoryUser(standby, lookup))).toBe(false);
    await change();
    const committed = performance.now();
    let visibleOnStandby = Number.POSITIVE_INFINITY;
    const watch = async (cache: DirectoryCache | undefined, visibleAt: () => number): Promise<number> => {
      for (;;) {
        const askedAt = performance.now();
        const answer = cache ? await cache.lookup(lookup) : await lookupDirectoryUser(standby, lookup);
        // For the direct probe: the change was visible on the standby by the time it answered.
        if (isNew(answer)) return cache ? askedAt : performance.now();
        if (cache) expect(askedAt - visibleAt(), 'an old answer served past the bound').toBeLessThanOrEqual(BOUND_MS);
        if (performance.now() - committed > 20_000) throw new Error('the change did not arrive within 20 s');
        await sleep(2);
      }
    };
    const [primaryAt, standbyAt] = await Promise.all([
      watch(onPrimary, () => committed),
      watch(onStandby, () => visibleOnStandby),
      watch(undefined, () => 0).then((at) => {
        visibleOnStandby = at;
      }),
    ]);
    return { primaryMs: primaryAt - committed, standbyMs: standbyAt - visibleOnStandby, replicationMs: visibleOnStandby - committed };
  }

  test('a password change reaches both caches within the bound', async () => {
    const lookup = { domain: DOMAIN, user: '1003' };
    const old = (await onPrimary.lookup(lookup))!.a1Hash;
    await expectWithinBound(
      lookup,
      (answer) => answer !== undefined && answer.a1Hash !== old,
      () => setExtensionPassword(primary, { domain: DOMAIN, extension: '1003', password: 'changed-1003' }),
    );
  });

  test('a disabled extension is gone from both caches within the bound', async () => {
    await expectWithinBound(
      { domain: DOMAIN, user: '1004' },
      (answer) => answer === undefined,
      () => sql`UPDATE voip.extensions SET enabled = false WHERE extension = '1004'`.execute(primary),
    );
  });

  test('a deleted extension is gone from both caches within the bound, its number-alias too', async () => {
    await expectWithinBound(
      { domain: DOMAIN, user: 'alice', key: 'number-alias' },
      (answer) => answer === undefined,
      () => sql`DELETE FROM voip.extensions WHERE extension = '1000'`.execute(primary),
    );
  });

  test("a domain's changed parameters reach both caches within the bound", async () => {
    await expectWithinBound(
      { domain: DOMAIN, user: '1005' },
      (answer) => answer?.domainParams['dial-string'] === '{y}',
      () => sql`UPDATE voip.domains SET params = '{"dial-string": "{y}"}' WHERE name = ${DOMAIN}`.execute(primary),
    );
  });

  test('a user created after a "not found" is found within the bound', async () => {
    await expectWithinBound(
      { domain: DOMAIN, user: '2000' },
      (answer) => answer?.extension === '2000',
      () => createExtension(primary, { domain: DOMAIN, extension: '2000', password: 'new-user' }),
    );
  });

  // Renaming a domain changes the digest realm: its users are not found until their passwords are set again.
  test('a renamed domain is gone under its old name within the bound', async () => {
    await expectWithinBound(
      { domain: DOMAIN, user: '1006' },
      (answer) => answer === undefined,
      () => sql`UPDATE voip.domains SET name = 'renamed.example.net' WHERE name = ${DOMAIN}`.execute(primary),
    );
  });

  test('a lost connection serves nothing past the bound, and the cache recovers when the server is back', async () => {
    const lookup = { domain: 'other.example.net', user: '3001' };
    const cached = await onStandby.lookup(lookup);
    await pair.stopStandby();
    const stoppedAt = performance.now();
    let failures = 0;
    for (;;) {
      const askedAt = performance.now();
      const outcome = await onStandby.lookup(lookup).catch((e: unknown) => e);
      if (outcome instanceof Error) {
        expect(outcome).toBeInstanceOf(DirectoryCacheStaleError);
        expect((outcome as DirectoryCacheStaleError).code).toBe('DIRECTORY_CACHE_STALE');
        failures++;
        if (failures === 3) break;
      } else {
        expect(outcome).toEqual(cached);
        expect(askedAt - stoppedAt).toBeLessThanOrEqual(BOUND_MS);
      }
      await sleep(20);
    }
    // A user never cached goes to the database, which fails as lookupDirectoryUser fails.
    const uncached = await onStandby.lookup({ domain: 'other.example.net', user: '3002' }).catch((e: unknown) => e);
    const direct = await lookupDirectoryUser(standby, { domain: 'other.example.net', user: '3002' }).catch((e: unknown) => e);
    expect((uncached as Error).constructor).toBe((direct as Error).constructor);

    await pair.startStandby();
    await waitForCatchUp(pair);
    await expect.poll(() => onStandby.lookup(lookup).catch((e: unknown) => e), { timeout: 15_000, interval: 100 }).toEqual(cached);
  });

  test('a promoted standby keeps its cache working without a restart', async () => {
    const lookup = { domain: 'other.example.net', user: '3003' };
    const old = (await onStandby.lookup(lookup))!.a1Hash;
    await sql`SELECT pg_promote(true, 30)`.execute(standby);
    await expect.poll(async () => (await sql<{ r: boolean }>`SELECT pg_is_in_recovery() AS r`.execute(standby)).rows[0]!.r).toBe(false);
    expect((await onStandby.lookup(lookup))!.a1Hash).toBe(old);
    await setExtensionPassword(standby, { domain: 'other.example.net', extension: '3003', password: 'after-promotion' });
    const changed = performance.now();
    for (;;) {
      const askedAt = performance.now();
      const answer = await onStandby.lookup(lookup);
      if (answer!.a1Hash !== old) break;
      expect(askedAt - changed).toBeLessThanOrEqual(BOUND_MS);
      await sleep(2);
    }
  });
});

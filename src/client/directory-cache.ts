import { CompiledQuery, type Kysely, sql } from 'kysely';
import { UsageError } from '../errors.js';
import type { DB } from '../generated/db.js';
import { LRUCache } from '../vendor/lru-cache.js';
import {
  type DirectoryKeyColumn,
  type DirectoryLookup,
  type DirectoryUser,
  checkDirectoryLookup,
  lookupDirectoryUser,
} from './directory.js';
import { DirectoryCacheStaleError } from './errors.js';
import { prepareText } from './prepared.js';

export interface DirectoryCacheOptions {
  /**
   * Longest time, in ms, a found answer may lag this node's database (default 1000). On a hot
   * standby the database itself lags the primary by the replication delay, so a change made on
   * the primary reaches the answers within replication delay + this bound.
   */
  maxStalenessMs?: number;
  /** The same bound for "not found" answers (default: maxStalenessMs): how late a new user may still be refused. */
  negativeMaxStalenessMs?: number;
  /** How often the change counter is read in the background (default: a quarter of the smaller bound). */
  pollIntervalMs?: number;
  /** Found answers kept at most (default 10,000; least recently used go first). */
  maxEntries?: number;
  /** Estimated bytes of found answers kept at most (default 32 MiB). */
  maxBytes?: number;
  /** "Not found" answers kept at most, apart from found ones so that a flood cannot evict them (default 10,000). */
  maxNegativeEntries?: number;
  /**
   * The names of every user the directory has are kept (default up to 200,000; 0 = never): an
   * unknown user is then "not found" without a query, whatever the number of distinct names a
   * scanner tries. A larger directory is not kept, and unknown names are looked up one by one.
   */
  maxDirectoryKeys?: number;
}

export interface DirectoryCacheStats {
  /** Answers served from memory: found, "not found" remembered, "not found" by the key set. */
  hits: number;
  negativeHits: number;
  keySetHits: number;
  /** Lookups sent to the database (each one query). */
  queries: number;
  /** Reads of the change counter, failed ones, and times they found a change (the cache was emptied). */
  polls: number;
  pollFailures: number;
  invalidations: number;
  /** Loads of the key set (each one query reading every name). */
  keyLoads: number;
  entries: number;
  /** Estimated bytes of the found answers held. */
  bytes: number;
  negativeEntries: number;
  /** Names in the key set in use (0 when there is none). */
  directoryKeys: number;
  /** Since the cache's answers were last confirmed current (ms); Infinity before the first read. */
  confirmedMsAgo: number;
}

/** The same answers as lookupDirectoryUser, from memory when it can; see createDirectoryCache. */
export interface DirectoryCache {
  lookup(lookup: DirectoryLookup): Promise<DirectoryUser | undefined>;
  /** Reads the change counter now and loads the key set: a warm start, and a check that the database answers. */
  refresh(): Promise<void>;
  stats(): DirectoryCacheStats;
  /** Forgets every answer (the next lookups query the database). */
  clear(): void;
  /** Stops the background reads; the cache then answers only by querying and confirming on demand. */
  close(): void;
}

export const DIRECTORY_CACHE_DEFAULTS = {
  maxStalenessMs: 1_000,
  maxEntries: 10_000,
  maxBytes: 32 * 1024 * 1024,
  maxNegativeEntries: 10_000,
  maxDirectoryKeys: 200_000,
} as const;

/**
 * The change counter (migration 0013) with the server's start time: a restarted, re-cloned or
 * rewound server can show a counter value the cache saw before with other data behind it, and its
 * start time tells. A promotion keeps both, and the cache carries on without a restart.
 */
const VERSION_SQL = sql`SELECT pg_postmaster_start_time()::text AS started, (SELECT version::text FROM voip.directory_version) AS version`;

interface Found {
  user: DirectoryUser;
  /** When the query that read it was sent (performance.now()). */
  loadedAt: number;
}

interface KeySet {
  generation: number;
  loadedAt: number;
  /** `${keyColumn}\0${domain}\0${user}` of every user the view answers. */
  keys: Set<string>;
}

/**
 * A cache in front of lookupDirectoryUser whose every answer is at most `maxStalenessMs` behind
 * this node's database (`negativeMaxStalenessMs` for "not found").
 *
 * How it knows: every statement writing voip.domains or voip.extensions bumps the row
 * voip.directory_version in its own transaction (migration 0013). That row replicates like any
 * other, so the cache works the same beside the primary and the hot standby, where LISTEN/NOTIFY
 * hears nothing. The cache reads the counter every `pollIntervalMs`; an answer is served only if
 * the counter was read unchanged, or the answer itself was read, at most the bound ago (times are
 * taken when the query is sent, before the server's snapshot, so the bound is conservative).
 * A changed counter empties the cache; an answer read before the change and arriving after it is
 * dropped. When the counter cannot be read within the bound, lookups of cached users fail with
 * DirectoryCacheStaleError instead of serving an old password; lookups of users not cached go to
 * the database and fail as lookupDirectoryUser does.
 */
export function createDirectoryCache(db: Kysely<DB>, options: DirectoryCacheOptions = {}): DirectoryCache {
  const maxStalenessMs = bound('maxStalenessMs', options.maxStalenessMs ?? DIRECTORY_CACHE_DEFAULTS.maxStalenessMs, 1);
  const negativeMaxStalenessMs = bound('negativeMaxStalenessMs', options.negativeMaxStalenessMs ?? maxStalenessMs, 0);
  const pollIntervalMs = bound(
    'pollIntervalMs',
    options.pollIntervalMs ?? Math.max(1, Math.min(maxStalenessMs, negativeMaxStalenessMs || maxStalenessMs) / 4),
    1,
  );
  const maxEntries = bound('maxEntries', options.maxEntries ?? DIRECTORY_CACHE_DEFAULTS.maxEntries, 1);
  const maxBytes = bound('maxBytes', options.maxBytes ?? DIRECTORY_CACHE_DEFAULTS.maxBytes, 1024);
  const maxNegativeEntries = bound('maxNegativeEntries', options.maxNegativeEntries ?? DIRECTORY_CACHE_DEFAULTS.maxNegativeEntries, 1);
  const maxDirectoryKeys = bound('maxDirectoryKeys', options.maxDirectoryKeys ?? DIRECTORY_CACHE_DEFAULTS.maxDirectoryKeys, 0);

  const found = new LRUCache<string, Found>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (f, key) => estimateBytes(f.user, key),
  });
  // "Not found" answers: the value is when the query that found nothing was sent.
  const notFound = new LRUCache<string, number>({ max: maxNegativeEntries });
  let keySet: KeySet | undefined;

  /** Bumped whenever what is cached is dropped: a read begun under an older generation is not kept. */
  let generation = 0;
  let counter: string | undefined;
  /** When the last read of the counter that found it unchanged (or set it) was sent. */
  let confirmedAt = Number.NEGATIVE_INFINITY;
  let polling: Promise<void> | undefined;
  let keyLoading: Promise<void> | undefined;
  /** The key set's last load ended then, or found the directory too large: loads are spaced by the bound. */
  let keyLoadEndedAt = Number.NEGATIVE_INFINITY;
  const loading = new Map<string, { generation: number; answer: Promise<DirectoryUser | undefined> }>();
  const counts = { hits: 0, negativeHits: 0, keySetHits: 0, queries: 0, polls: 0, pollFailures: 0, invalidations: 0, keyLoads: 0 };

  const versionSql = VERSION_SQL.compile(db).sql;
  prepareText(versionSql, 'directory_version');

  const dropAll = (): void => {
    generation++;
    found.clear();
    notFound.clear();
    keySet = undefined;
  };

  const readCounter = async (): Promise<void> => {
    const sent = performance.now();
    const startedGeneration = generation;
    counts.polls++;
    let row: { started: string; version: string | null } | undefined;
    try {
      row = (await db.executeQuery<{ started: string; version: string | null }>(CompiledQuery.raw(versionSql, []))).rows[0];
    } catch (error) {
      counts.pollFailures++;
      throw error;
    }
    // A schema loaded from schema.sql has no counter row until its first change.
    const seen = `${row?.started}/${row?.version ?? '0'}`;
    if (seen !== counter || startedGeneration !== generation) {
      if (counter !== undefined) counts.invalidations++;
      dropAll();
      counter = seen;
      confirmedAt = sent;
      return;
    }
    confirmedAt = Math.max(confirmedAt, sent);
  };
  const poll = (): Promise<void> => {
    polling ??= readCounter().finally(() => {
      polling = undefined;
    });
    return polling;
  };
  const pollQuietly = (): void => {
    // Failures of background reads surface on the lookups that need a confirmation.
    poll().catch(() => {});
  };
  const timer = setInterval(pollQuietly, pollIntervalMs);
  // The cache never keeps a service alive on its own.
  timer.unref();
  pollQuietly();

  const freshSince = (loadedAt: number, limit: number, now: number): boolean => now - Math.max(confirmedAt, loadedAt) <= limit;

  /**
   * Waits for a read of the counter (the one in flight, or a new one), at most the bound: a
   * database that does not answer must not hold lookups longer than it may hold stale answers.
   */
  const confirm = async (since: number): Promise<void> => {
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timeout = setTimeout(() => resolve('timeout'), maxStalenessMs);
    });
    try {
      // The read in flight may have been sent too early to confirm anything: then one more.
      for (let reads = 0; reads < 2 && confirmedAt < since; reads++) {
        const outcome = await Promise.race([poll(), expired]).catch((error: unknown) => {
          throw new DirectoryCacheStaleError(performance.now() - confirmedAt, maxStalenessMs, { cause: error });
        });
        if (outcome === 'timeout') throw new DirectoryCacheStaleError(performance.now() - confirmedAt, maxStalenessMs, { timedOut: true });
      }
    } finally {
      clearTimeout(timeout);
    }
  };

  const loadKeys = async (): Promise<void> => {
    const startedGeneration = generation;
    const sent = performance.now();
    counts.keyLoads++;
    const rows = await db
      .selectFrom('voip.directory_users')
      .select(['domain_name', 'extension', 'number_alias'])
      .limit(maxDirectoryKeys + 1)
      .execute();
    if (rows.length > maxDirectoryKeys || startedGeneration !== generation) return;
    const keys = new Set<string>();
    for (const row of rows) {
      keys.add(cacheKey('extension', row.domain_name!, row.extension!));
      if (row.number_alias !== null) keys.add(cacheKey('number_alias', row.domain_name!, row.number_alias));
    }
    keySet = { generation, loadedAt: sent, keys };
  };
  const maybeLoadKeys = (): void => {
    if (maxDirectoryKeys === 0 || keyLoading || keySet?.generation === generation) return;
    if (performance.now() - keyLoadEndedAt < maxStalenessMs) return;
    keyLoading = loadKeys()
      .catch(() => {})
      .finally(() => {
        keyLoading = undefined;
        keyLoadEndedAt = performance.now();
      });
  };

  const load = (key: string, lookup: DirectoryLookup): Promise<DirectoryUser | undefined> => {
    const pending = loading.get(key);
    // Joining a read begun before the cache was emptied could hand out what the change replaced.
    if (pending && pending.generation === generation) return pending.answer;
    const startedGeneration = generation;
    const sent = performance.now();
    counts.queries++;
    const answer = lookupDirectoryUser(db, lookup)
      .then((user) => {
        if (startedGeneration !== generation) return user;
        if (user) found.set(key, { user: freeze(user), loadedAt: sent });
        else notFound.set(key, sent);
        return user;
      })
      .finally(() => {
        if (loading.get(key)?.answer === answer) loading.delete(key);
      });
    loading.set(key, { generation: startedGeneration, answer });
    maybeLoadKeys();
    return answer;
  };

  return {
    async lookup(lookup) {
      const keyColumn = checkDirectoryLookup('DirectoryCache.lookup', lookup);
      const key = cacheKey(keyColumn, lookup.domain.toLowerCase(), lookup.user);
      // The first read of the counter empties the cache (nothing read before it can be vouched
      // for): the first lookups wait for it instead of loading answers it would throw away.
      if (counter === undefined) await poll().catch(() => {});
      // Judged at the time of the call. After a confirmation (a read of the counter sent at or
      // after the call), a cached answer is exactly as current as a query sent then would be.
      const now = performance.now();
      if (now - confirmedAt > pollIntervalMs) pollQuietly();
      for (let confirmed = false; ; confirmed = true) {
        const user = found.get(key);
        if (user && freshSince(user.loadedAt, maxStalenessMs, now)) {
          counts.hits++;
          return user.user;
        }
        const missingSince = user ? undefined : notFound.get(key);
        if (missingSince !== undefined && freshSince(missingSince, negativeMaxStalenessMs, now)) {
          counts.negativeHits++;
          return undefined;
        }
        const keys = keySet;
        const keysCurrent = keys !== undefined && keys.generation === generation;
        if (keysCurrent && !keys.keys.has(key) && freshSince(keys.loadedAt, negativeMaxStalenessMs, now)) {
          counts.keySetHits++;
          return undefined;
        }
        // Something cached, only not confirmed lately: confirm it (one read for all waiting
        // lookups) rather than query each user; if that fails, fail rather than serve it.
        const cached = user !== undefined || missingSince !== undefined || (keysCurrent && !keys.keys.has(key));
        if (confirmed || !cached) break;
        await confirm(now);
      }
      return load(key, lookup);
    },
    async refresh() {
      await poll();
      keyLoadEndedAt = Number.NEGATIVE_INFINITY;
      maybeLoadKeys();
      await keyLoading;
    },
    stats() {
      return {
        ...counts,
        entries: found.size,
        bytes: found.calculatedSize,
        negativeEntries: notFound.size,
        directoryKeys: keySet?.generation === generation ? keySet.keys.size : 0,
        confirmedMsAgo: performance.now() - confirmedAt,
      };
    },
    clear() {
      dropAll();
    },
    close() {
      clearInterval(timer);
    },
  };
}

function cacheKey(keyColumn: DirectoryKeyColumn, domain: string, user: string): string {
  return `${keyColumn}\u0000${domain}\u0000${user}`;
}

/** A shared answer must not be changed by one caller under another's feet. */
function freeze(user: DirectoryUser): DirectoryUser {
  Object.freeze(user.voicemail);
  Object.freeze(user.domainParams);
  Object.freeze(user.domainVariables);
  Object.freeze(user.params);
  Object.freeze(user.variables);
  return Object.freeze(user);
}

/** Roughly what an answer holds in V8: its text twice (UTF-16), plus the objects around it. */
function estimateBytes(user: DirectoryUser, key: string): number {
  return 2 * (JSON.stringify(user).length + key.length) + 400;
}

function bound(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new UsageError(
      `createDirectoryCache: ${name} must be a number of at least ${min}, got ${value}`,
      `leave ${name} out for its default`,
    );
  }
  return value;
}

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/operations.js';
import { platformHooks } from '../../src/platform/hooks.js';
import { MigrationLockTimeoutError } from '../../src/engine/errors.js';
import { PartitionLockBusyError } from '../../src/voip/errors.js';
import { type CdrRow, ingestCdr, kyselyOnConnection } from '../../src/client/index.js';
import { maintainCdrPartitions } from '../../src/voip/partitions.js';
import { runCli } from '../support/cli.js';
import { configUrl } from '../support/database.js';
import { MIGRATIONS_DIR, migratedDatabase } from '../support/migrate.js';
import { cdrRow } from '../support/cdr.js';

/**
 * Partition DDL on a live platform. A report transaction reading
 * voip.cdr for seconds must not make FreeSWITCH's CDR inserts wait longer than lock_timeout, and
 * the maintenance must be retried, then fail naming the report; another maintainer's lock is
 * waited for a bounded time, then named.
 */
const LOCK_TIMEOUT_MS = 400;

const cdrNow = (): CdrRow => cdrRow(new Date());

describe('CDR partition maintenance beside long transactions (pg18)', () => {
  let db: ConnectionConfig;
  let report: pg.Client;
  let inserter: pg.Client;

  beforeAll(async () => {
    db = await migratedDatabase('pg18');
    report = new pg.Client({ ...db, application_name: 'monthly-report' });
    inserter = new pg.Client(db);
    await Promise.all([report.connect(), inserter.connect()]);
    await inserter.query('SELECT voip.cdr_ensure_partitions(1)');
  });
  afterAll(async () => {
    await report?.end();
    await inserter?.end();
  });

  /** Inserts a CDR every 25 ms until `until` settles; returns the slowest insert in ms. */
  async function slowestInsertWhile(until: Promise<unknown>): Promise<{ slowestMs: number; count: number }> {
    let done = false;
    const stop = (): void => {
      done = true;
    };
    until.then(stop, stop);
    let slowestMs = 0;
    let count = 0;
    while (!done) {
      const started = performance.now();
      await ingestCdr(kyselyOnConnection(inserter), cdrNow());
      slowestMs = Math.max(slowestMs, performance.now() - started);
      count++;
      await new Promise((r) => setTimeout(r, 25));
    }
    return { slowestMs, count };
  }

  test('creating partitions does not wait for a report at all (ATTACH takes no lock a reader or an inserter conflicts with)', async () => {
    const maintainer = await connected(db);
    await report.query('BEGIN; SELECT count(*) FROM voip.cdr');
    try {
      const maintenance = maintainCdrPartitions(maintainer, { ahead: 4, limits: { lockTimeoutMs: LOCK_TIMEOUT_MS, lockRetries: 0 } });
      const [result, inserts] = await Promise.all([maintenance, slowestInsertWhile(maintenance)]);
      expect(result.created.length).toBeGreaterThanOrEqual(3);
      expect(inserts.slowestMs).toBeLessThan(LOCK_TIMEOUT_MS);
    } finally {
      await report.query('ROLLBACK');
      await maintainer.end();
    }
  });

  test('retention beside a report: inserts wait less than lock_timeout, the detach is retried, then fails naming the report', async () => {
    const maintainer = await connected(db);
    try {
      await oldPartition(maintainer);
      // The report: a transaction reading voip.cdr for several seconds.
      await report.query('BEGIN; SELECT count(*) FROM voip.cdr');
      const reportEnds = new Promise((r) => setTimeout(r, 4_000)).then(() => report.query('COMMIT'));
      const retries: number[] = [];
      const started = performance.now();
      const maintenance = maintainCdrPartitions(maintainer, {
        ahead: 0,
        retain: 1,
        limits: { lockTimeoutMs: LOCK_TIMEOUT_MS, lockRetries: 2, retryBackoffMs: 100 },
        onRetry: (r) => retries.push(r.attempt),
      });
      const [outcome, inserts] = await Promise.all([maintenance.catch((e: unknown) => e), slowestInsertWhile(maintenance)]);
      const elapsedMs = performance.now() - started;
      expect(outcome).toBeInstanceOf(MigrationLockTimeoutError);
      expect(outcome).toMatchObject({ code: 'MIGRATION_LOCK_TIMEOUT', exitCode: 3 });
      expect((outcome as Error).message).toMatch(/^CDR partition maintenance: .* after 3 attempts; .*blocked by pid (\d+) \(/);
      expect((outcome as Error).message).toContain(
        `pid ${(report as unknown as { processID: number }).processID} (application_name "monthly-report"`,
      );
      expect((outcome as Error).message).toContain('AccessShareLock on voip.cdr');
      expect(retries).toEqual([1, 2]);
      // Three attempts of lock_timeout each, plus the backoff: the wait was bounded, and every
      // insert made meanwhile waited less than one lock_timeout (plus scheduling slack).
      expect(elapsedMs).toBeGreaterThanOrEqual(3 * LOCK_TIMEOUT_MS);
      expect(inserts.count).toBeGreaterThan(5);
      expect(inserts.slowestMs).toBeLessThan(LOCK_TIMEOUT_MS + 250);
      await reportEnds;
      // DETACH ... CONCURRENTLY got as far as its wait: the partition is pending, out of voip.cdr,
      // and the message says so; once the report is over, the next run finishes and drops it.
      expect((outcome as Error).message).toMatch(/cdr_\d{6} is left detaching .*the next run finishes it/);
      const pending = "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'voip.cdr'::regclass AND inhdetachpending";
      expect((await maintainer.query(pending)).rows).toEqual([{ n: 1 }]);
      expect((await maintainCdrPartitions(maintainer, { ahead: 0, retain: 1 })).dropped).toHaveLength(1);
      expect((await maintainer.query(pending)).rows).toEqual([{ n: 0 }]);
    } finally {
      await maintainer.end();
    }
  });

  test('while retention waits for a report, CDR inserts go on: the detach holds no lock they conflict with', async () => {
    const maintainer = await connected(db);
    try {
      const old = await oldPartition(maintainer);
      const maintainerPid = (maintainer as unknown as { processID: number }).processID;
      await report.query('BEGIN; SELECT count(*) FROM voip.cdr');
      const maintenance = maintainCdrPartitions(maintainer, { ahead: 0, retain: 1, limits: { lockTimeoutMs: 30_000, lockRetries: 0 } });
      // Wait until the detach is queued behind the report.
      for (let i = 0; ; i++) {
        const { rows } = await inserter.query('SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1', [maintainerPid]);
        if (rows[0]?.wait_event_type === 'Lock') break;
        if (i > 200) throw new Error('the retention run never waited for the report');
        await new Promise((r) => setTimeout(r, 25));
      }
      // A detach inside a transaction would hold ACCESS EXCLUSIVE's place in the queue: this insert would time out.
      await inserter.query("SET lock_timeout = '100ms'");
      try {
        await ingestCdr(kyselyOnConnection(inserter), cdrNow());
      } finally {
        await inserter.query('RESET lock_timeout');
      }
      await report.query('COMMIT');
      expect((await maintenance).dropped).toEqual([`cdr_${old.toISOString().slice(0, 7).replace('-', '')}`]);
    } finally {
      await report.query('ROLLBACK').catch(() => undefined);
      await maintainer.end();
    }
  });

  test("`db partitions` and `db migrate` wait --lock-wait for another maintainer's lock, then name it", async () => {
    const holder = new pg.Client({ ...db, application_name: 'stuck-worker' });
    await holder.connect();
    try {
      await holder.query("BEGIN; SELECT pg_advisory_xact_lock(hashtext('voip.cdr partition maintenance'))");
      const run = await runCli(['partitions', '--lock-wait', '300ms', '--url', configUrl(db)]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/error\[PARTITION_LOCK_BUSY\]: another session holds the CDR partition maintenance lock/);
      expect(run.stderr).toMatch(/pid \d+, application_name "stuck-worker"/);
      const error = await migrate(db, { migrationsDir: MIGRATIONS_DIR, lockWaitMs: 300, hooks: platformHooks({}) }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PartitionLockBusyError);
      await holder.query('COMMIT');
      const ok = await runCli([
        'partitions',
        '--lock-wait',
        '300ms',
        '--lock-timeout',
        '2s',
        '--lock-retries',
        '1',
        '--url',
        configUrl(db),
      ]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    } finally {
      await holder.end();
    }
  });

  test('`db partitions` takes the same lock flags as `db migrate` and reports a lock_timeout the same way (exit 3)', async () => {
    const maintainer = await connected(db);
    try {
      await oldPartition(maintainer);
    } finally {
      await maintainer.end();
    }
    await report.query('BEGIN; SELECT count(*) FROM voip.cdr');
    try {
      const run = await runCli(['partitions', '--retain', '1', '--lock-timeout', '200ms', '--lock-retries', '1', '--url', configUrl(db)]);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/retry CDR partition maintenance: lock_timeout, attempt 2/);
      expect(run.stderr).toMatch(
        /error\[MIGRATION_LOCK_TIMEOUT\]: CDR partition maintenance: could not take its table locks within lock_timeout 200 ms after 2 attempts/,
      );
      expect(run.stderr).toMatch(/hint: .*--lock-timeout/);
    } finally {
      await report.query('ROLLBACK');
    }
  });
});

async function connected(config: ConnectionConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  await client.connect();
  return client;
}

/** Makes the CDR partition of three months ago, which `retain: 1` drops; returns a day in it. */
async function oldPartition(client: pg.Client): Promise<Date> {
  const old = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 3, 5));
  await client.query('SELECT voip.cdr_create_partition($1)', [old]);
  return old;
}

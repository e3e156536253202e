import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { CdrPartitionArgumentError } from '../../src/voip/errors.js';
import { CdrPartitionMissingError } from '../../src/client/errors.js';
import { UsageError } from '../../src/errors.js';
import { type CdrRow, ingestCdr, kyselyOnConnection } from '../../src/client/index.js';
import { ensureCdrPartitionsIfInstalled, listCdrPartitions, maintainCdrPartitions } from '../../src/voip/partitions.js';
import { freshDatabase } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';
import { cdrRow } from '../support/cdr.js';

/** The first instant of the UTC month `offset` months from now's: dates move with the clock, as the functions' bounds do. */
const month = (offset: number, days = 0, hours = 0): Date => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1 + days, hours));
};
const iso = (d: Date): string => d.toISOString();
const partitionOf = (d: Date): string => `cdr_${iso(d).slice(0, 4)}${iso(d).slice(5, 7)}`;

const cdr = (uuid: string, start: string): CdrRow => cdrRow(new Date(start), { uuid });

describe.each(['pg18', 'pg15'] as const)('voip.cdr partitions and ingestion (%s)', (serverName) => {
  let db: ConnectionConfig;
  let client: pg.Client;
  // The client functions services run, on this test's own session (its role and time zone).
  let onClient: ReturnType<typeof kyselyOnConnection>;

  beforeAll(async () => {
    db = await migratedDatabase(serverName);
    client = new pg.Client(db);
    await client.connect();
    onClient = kyselyOnConnection(client);
    // A session far from UTC: month boundaries and names must still be UTC months.
    await client.query(`SET TimeZone = 'Pacific/Kiritimati'`);
  });
  afterAll(async () => {
    await client?.end();
  });

  test('the migration creates no partition (schema.sql must not depend on the day)', async () => {
    expect(await listCdrPartitions(client)).toEqual([]);
  });

  test('ensure creates the current UTC month and `ahead` more, named cdr_YYYYMM, and is idempotent', async () => {
    const at = new Date(month(1).getTime() - 30 * 60_000); // 23:30 UTC on the month's last day: next month in Kiritimati (UTC+14)
    const first = await maintainCdrPartitions(client, { ahead: 2, at });
    const names = [month(0), month(1), month(2)].map(partitionOf);
    expect(first.created).toEqual(names);
    expect(first.dropped).toEqual([]);
    expect(first.partitions[0]).toEqual({ name: names[0], from: month(0), to: month(1) });
    const again = await maintainCdrPartitions(client, { ahead: 2, at });
    expect(again.created).toEqual([]);
    expect(again.partitions.map((p) => p.name)).toEqual(names);
  });

  test('a retried post is stored once (ON CONFLICT on (uuid, start_stamp))', async () => {
    const uuid = randomUUID();
    const start = iso(month(0, 14, 10)).replace('.000Z', '.123456Z');
    expect(await ingestCdr(onClient, cdr(uuid, start))).toEqual({ inserted: 1, duplicates: 0 });
    expect(await ingestCdr(onClient, cdr(uuid, start))).toEqual({ inserted: 0, duplicates: 1 });
    const { rows } = await client.query('SELECT count(*)::int AS n FROM voip.cdr WHERE uuid = $1', [uuid]);
    expect(rows[0].n).toBe(1);
  });

  test('a CDR outside every partition fails with CdrPartitionMissingError, nothing stored', async () => {
    const uuid = randomUUID();
    const error = await ingestCdr(onClient, cdr(uuid, iso(month(-20, 9, 8)))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdrPartitionMissingError);
    expect((error as CdrPartitionMissingError).code).toBe('CDR_PARTITION_MISSING');
    expect((error as CdrPartitionMissingError).message).toContain(`${partitionOf(month(-20))} is missing`);
    expect(((error as CdrPartitionMissingError).cause as { code: string }).code).toBe('23514');
    const { rows } = await client.query('SELECT count(*)::int AS n FROM voip.cdr WHERE uuid = $1', [uuid]);
    expect(rows[0].n).toBe(0);
  });

  test('an ordinary CHECK violation (same SQLSTATE 23514) is not mistaken for a missing partition', async () => {
    // ingestCdr refuses billsec > duration itself (ClientInputInvalidError naming billsec); any
    // other writer meets the server's CHECK, mapped by the same client errors.
    const start = month(0, 14, 10);
    const error = await onClient
      .insertInto('voip.cdr')
      .values({ uuid: randomUUID(), start_stamp: start, end_stamp: start, duration: 60, billsec: 120, leg: 'a', direction: 'inbound' })
      .execute()
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CdrPartitionMissingError);
    expect((error as { constraint?: string }).constraint).toBe('cdr_seconds_check');
  });

  test('a time-range query touches only the partitions it needs', async () => {
    await ingestCdr(onClient, cdr(randomUUID(), iso(month(1, 19, 10))));
    await ingestCdr(onClient, cdr(randomUUID(), iso(month(2, 4, 10))));
    const plan = async (sql: string): Promise<string> => {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${sql}`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    const [m0, m1, m2] = [month(0), month(1), month(2)].map(partitionOf) as [string, string, string];
    const oneMonth = await plan(`SELECT * FROM voip.cdr WHERE start_stamp >= '${iso(month(1))}' AND start_stamp < '${iso(month(2))}'`);
    expect(oneMonth).toContain(m1);
    expect(oneMonth).not.toContain(m0);
    expect(oneMonth).not.toContain(m2);

    const twoMonths = await plan(
      `SELECT count(*) FROM voip.cdr WHERE start_stamp >= '${iso(month(1, 14))}' AND start_stamp < '${iso(month(2, 9))}'`,
    );
    expect(twoMonths).toContain(m1);
    expect(twoMonths).toContain(m2);
    expect(twoMonths).not.toContain(m0);

    // With a parameter the pruning happens at execution: the plan says how many were removed.
    await client.query(`PREPARE by_range(timestamptz, timestamptz) AS SELECT * FROM voip.cdr WHERE start_stamp >= $1 AND start_stamp < $2`);
    await client.query(`SET plan_cache_mode = force_generic_plan`);
    const generic = await plan(`EXECUTE by_range('${iso(month(0))}', '${iso(month(0, 19))}')`);
    expect(generic).toMatch(/Subplans Removed: 2/);
    await client.query(`RESET plan_cache_mode; DEALLOCATE by_range`);
  });

  test('retention detaches and drops only whole cdr_YYYYMM months older than `retain`, never foreign partitions', async () => {
    await client.query(`CREATE TABLE voip.cdr_archive_2020 PARTITION OF voip.cdr FOR VALUES FROM ('2020-01-01Z') TO ('2021-01-01Z')`);
    await client.query('SELECT voip.cdr_create_partition($1), voip.cdr_create_partition($2), voip.cdr_create_partition($3)', [
      month(-3, 9),
      month(-2, 9),
      month(-1, 9),
    ]);
    const result = await maintainCdrPartitions(client, { ahead: 0, retain: 1 });
    expect(result.dropped).toEqual([partitionOf(month(-3)), partitionOf(month(-2))]);
    expect(result.partitions.map((p) => p.name)).toEqual([...[-1, 0, 1, 2].map((m) => partitionOf(month(m))), 'cdr_archive_2020']);
    const { rows } = await client.query('SELECT to_regclass($1) AS t', [`voip.${partitionOf(month(-2))}`]);
    expect(rows[0].t).toBeNull();
    // retain 0 keeps the current month only.
    expect((await maintainCdrPartitions(client, { ahead: 0, retain: 0 })).dropped).toEqual([partitionOf(month(-1))]);
  });

  test('the migrate post-step helper premakes partitions once 0006 is applied, and is a no-op before', async () => {
    const empty = new pg.Client(await freshDatabase(serverName));
    await empty.connect();
    try {
      expect(await ensureCdrPartitionsIfInstalled(empty)).toBeNull();
    } finally {
      await empty.end();
    }
    const created = await ensureCdrPartitionsIfInstalled(client, 1);
    expect(created).not.toBeNull();
    expect(await ensureCdrPartitionsIfInstalled(client, 1)).toEqual([]);
  });

  test('bad arguments are refused before anything runs', async () => {
    await expect(maintainCdrPartitions(client, { ahead: -1 })).rejects.toThrow(UsageError);
    await expect(maintainCdrPartitions(client, { ahead: 1, retain: 1.5 })).rejects.toThrow(UsageError);
    await expect(client.query('SELECT voip.cdr_drop_partitions(-1)')).rejects.toThrow(/retain must be 0 or more/);
  });

  test('voipadmin may run the maintenance functions and write CDRs, kamailio may not even see voip', async () => {
    await client.query('SET ROLE voipadmin');
    try {
      await client.query('SELECT voip.cdr_ensure_partitions(1, now())');
      expect((await ingestCdr(onClient, cdr(randomUUID(), iso(month(1, 20, 10))))).inserted).toBe(1);
    } finally {
      await client.query('RESET ROLE');
    }
    await client.query('SET ROLE kamailio');
    try {
      await expect(client.query('SELECT 1 FROM voip.cdr LIMIT 1')).rejects.toThrow(/permission denied for schema voip/);
    } finally {
      await client.query('RESET ROLE');
    }
  });

  test('a clock or an `at` far from now() is refused with a typed error (SQLSTATE 22023), nothing dropped or created', async () => {
    const before = (await listCdrPartitions(client)).map((p) => p.name);
    const farAhead = new Date(Date.now() + 400 * 86_400_000);
    for (const call of [
      () => maintainCdrPartitions(client, { ahead: 0, retain: 0, at: farAhead }),
      () => maintainCdrPartitions(client, { ahead: 1, at: new Date(Date.now() - 40 * 86_400_000) }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CdrPartitionArgumentError);
      expect(error).toMatchObject({ code: 'CDR_PARTITION_ARGUMENT', sqlState: '22023', exitCode: 2 });
      expect((error as Error).message).toMatch(/at \(.*\) is -?\d+ days from the server clock .*within 31 days/);
    }
    // The limits hold for voipadmin calling the functions directly, too.
    await client.query('SET ROLE voipadmin');
    try {
      await expect(client.query(`SELECT voip.cdr_drop_partitions(0, now() + interval '5 years')`)).rejects.toMatchObject({ code: '22023' });
      await expect(client.query(`SELECT voip.cdr_ensure_partitions(120, now())`)).rejects.toThrow(/ahead must be between 0 and 24 months/);
      await expect(client.query(`SELECT voip.cdr_create_partition('2200-01-01Z')`)).rejects.toThrow(
        /more than 25 months after the server clock/,
      );
    } finally {
      await client.query('RESET ROLE');
    }
    await expect(maintainCdrPartitions(client, { ahead: 25 })).rejects.toThrow(/between 0 and 24/);
    expect((await listCdrPartitions(client)).map((p) => p.name)).toEqual(before);
  });

  test('retention is measured from the newest CDR too: months holding the latest CDRs survive even when the clock has moved on', async () => {
    const fresh = new pg.Client(await migratedDatabase(serverName));
    await fresh.connect();
    try {
      for (const m of [-6, -5, -4, -3]) await fresh.query('SELECT voip.cdr_create_partition($1)', [month(m, 2)]);
      await fresh.query('SELECT voip.cdr_ensure_partitions(0)');
      // Ingestion stopped four months ago: the newest CDR is in month -4 (month -3 is empty).
      await ingestCdr(kyselyOnConnection(fresh), cdr(randomUUID(), iso(month(-5, 3))));
      await ingestCdr(kyselyOnConnection(fresh), cdr(randomUUID(), iso(month(-4, 3))));
      const result = await maintainCdrPartitions(fresh, { ahead: 0, retain: 1 });
      // By the clock alone, retain 1 would drop everything before month -1, CDRs and all.
      expect(result.dropped).toEqual([partitionOf(month(-6))]);
      const { rows } = await fresh.query<{ n: number }>('SELECT count(*)::int AS n FROM voip.cdr');
      expect(rows[0]!.n).toBe(2);
    } finally {
      await fresh.end();
    }
  });
});

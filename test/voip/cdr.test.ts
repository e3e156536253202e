import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { CdrPartitionMissingError, UsageError } from '../../src/errors.js';
import { type CdrRow, ingestCdr, kyselyOnConnection } from '../../src/client/index.js';
import { ensureCdrPartitionsIfInstalled, listCdrPartitions, maintainCdrPartitions } from '../../src/voip/partitions.js';
import { freshDatabase } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';

const cdr = (uuid: string, start: string): CdrRow => ({
  uuid,
  startStamp: new Date(start),
  endStamp: new Date(new Date(start).getTime() + 60_000),
  duration: 60,
  billsec: 55,
  leg: 'a',
  direction: 'inbound',
  callerIdNumber: '1001',
  destinationNumber: '1002',
});

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
    const at = new Date('2025-11-30T23:30:00Z'); // already December in Kiritimati (UTC+14)
    const first = await maintainCdrPartitions(client, { ahead: 2, at });
    expect(first.created).toEqual(['cdr_202511', 'cdr_202512', 'cdr_202601']);
    expect(first.dropped).toEqual([]);
    expect(first.partitions[0]).toEqual({
      name: 'cdr_202511',
      from: new Date('2025-11-01T00:00:00Z'),
      to: new Date('2025-12-01T00:00:00Z'),
    });
    const again = await maintainCdrPartitions(client, { ahead: 2, at });
    expect(again.created).toEqual([]);
    expect(again.partitions.map((p) => p.name)).toEqual(['cdr_202511', 'cdr_202512', 'cdr_202601']);
  });

  test('a retried post is stored once (ON CONFLICT on (uuid, start_stamp))', async () => {
    const uuid = randomUUID();
    expect(await ingestCdr(onClient, cdr(uuid, '2025-11-15T10:00:00.123456Z'))).toEqual({ inserted: 1, duplicates: 0 });
    expect(await ingestCdr(onClient, cdr(uuid, '2025-11-15T10:00:00.123456Z'))).toEqual({ inserted: 0, duplicates: 1 });
    const { rows } = await client.query('SELECT count(*)::int AS n FROM voip.cdr WHERE uuid = $1', [uuid]);
    expect(rows[0].n).toBe(1);
  });

  test('a CDR outside every partition fails with CdrPartitionMissingError, nothing stored', async () => {
    const uuid = randomUUID();
    const error = await ingestCdr(onClient, cdr(uuid, '2024-03-10T08:00:00Z')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdrPartitionMissingError);
    expect((error as CdrPartitionMissingError).code).toBe('CDR_PARTITION_MISSING');
    expect((error as CdrPartitionMissingError).message).toMatch(/cdr_202403 is missing/);
    expect(((error as CdrPartitionMissingError).cause as { code: string }).code).toBe('23514');
    const { rows } = await client.query('SELECT count(*)::int AS n FROM voip.cdr WHERE uuid = $1', [uuid]);
    expect(rows[0].n).toBe(0);
  });

  test('an ordinary CHECK violation (same SQLSTATE 23514) is not mistaken for a missing partition', async () => {
    const bad = { ...cdr(randomUUID(), '2025-11-15T10:00:00Z'), billsec: 120 };
    const error = await ingestCdr(onClient, bad).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CdrPartitionMissingError);
    expect((error as { constraint?: string }).constraint).toBe('cdr_seconds_check');
  });

  test('a time-range query touches only the partitions it needs', async () => {
    await ingestCdr(onClient, cdr(randomUUID(), '2025-12-20T10:00:00Z'));
    await ingestCdr(onClient, cdr(randomUUID(), '2026-01-05T10:00:00Z'));
    const plan = async (sql: string): Promise<string> => {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${sql}`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    const december = await plan(
      `SELECT * FROM voip.cdr WHERE start_stamp >= '2025-12-01T00:00:00Z' AND start_stamp < '2026-01-01T00:00:00Z'`,
    );
    expect(december).toMatch(/cdr_202512/);
    expect(december).not.toMatch(/cdr_202511|cdr_202601/);

    const twoMonths = await plan(
      `SELECT count(*) FROM voip.cdr WHERE start_stamp >= '2025-12-15T00:00:00Z' AND start_stamp < '2026-01-10T00:00:00Z'`,
    );
    expect(twoMonths).toMatch(/cdr_202512/);
    expect(twoMonths).toMatch(/cdr_202601/);
    expect(twoMonths).not.toMatch(/cdr_202511/);

    // With a parameter the pruning happens at execution: the plan says how many were removed.
    await client.query(`PREPARE by_range(timestamptz, timestamptz) AS SELECT * FROM voip.cdr WHERE start_stamp >= $1 AND start_stamp < $2`);
    await client.query(`SET plan_cache_mode = force_generic_plan`);
    const generic = await plan(`EXECUTE by_range('2025-11-01T00:00:00Z', '2025-11-20T00:00:00Z')`);
    expect(generic).toMatch(/Subplans Removed: 2/);
    await client.query(`RESET plan_cache_mode; DEALLOCATE by_range`);
  });

  test('retention detaches and drops only whole cdr_YYYYMM months older than `retain`, never foreign partitions', async () => {
    await client.query(`CREATE TABLE voip.cdr_archive_2020 PARTITION OF voip.cdr FOR VALUES FROM ('2020-01-01Z') TO ('2021-01-01Z')`);
    await client.query(`SELECT voip.cdr_create_partition('2025-09-10Z'), voip.cdr_create_partition('2025-10-10Z')`);
    const result = await maintainCdrPartitions(client, { ahead: 0, retain: 1, at: new Date('2025-12-05T00:00:00Z') });
    expect(result.dropped).toEqual(['cdr_202509', 'cdr_202510']);
    expect(result.partitions.map((p) => p.name)).toEqual(['cdr_202511', 'cdr_202512', 'cdr_202601', 'cdr_archive_2020']);
    const { rows } = await client.query(`SELECT to_regclass('voip.cdr_202510') AS t`);
    expect(rows[0].t).toBeNull();
    // retain 0 keeps the current month only.
    expect((await maintainCdrPartitions(client, { ahead: 0, retain: 0, at: new Date('2025-12-05T00:00:00Z') })).dropped).toEqual([
      'cdr_202511',
    ]);
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
      await client.query(`SELECT voip.cdr_ensure_partitions(1, '2025-12-05Z')`);
      expect((await ingestCdr(onClient, cdr(randomUUID(), '2025-12-21T10:00:00Z'))).inserted).toBe(1);
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
});

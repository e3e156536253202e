import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DB } from '../../src/generated/db.js';
import {
  RecoveryConflictError,
  StandbyWriteError,
  createDb,
  ingestCdr,
  ingestCdrs,
  lookupDirectoryUser,
  nodeRole,
  setExtensionPassword,
  withRetry,
} from '../../src/index.js';
import { createExtension as createExtensionWith, kyselyOnConnection } from '../../src/client/index.js';
import { type ReplicationPair, startReplicationPair, waitForCatchUp, migratedVoipdbOnPair } from '../support/standby.js';

// One real PG 18 primary + hot standby for the whole file. A short max_standby_streaming_delay
// makes WAL replay cancel conflicting standby queries after 200 ms instead of 30 s.
describe('typed client on a hot standby (pg18 pair)', () => {
  let pair: ReplicationPair;
  let primary: Kysely<DB>;
  let standby: Kysely<DB>;

  beforeAll(async () => {
    pair = await startReplicationPair('pg18', { settings: { max_standby_streaming_delay: '200ms' } });
    const voipdb = await migratedVoipdbOnPair(pair, async (admin) => {
      await admin.query("INSERT INTO voip.domains (name) VALUES ('ha.example.net')");
      await createExtensionWith(kyselyOnConnection(admin), { domain: 'ha.example.net', extension: '1001', password: 'secret' });
      await admin.query("SELECT voip.cdr_create_partition('2025-06-01Z')");
      await admin.query('CREATE TABLE public.conflict_probe (x integer)');
    });
    primary = createDb(voipdb.primary, { applicationName: 'client-primary' });
    standby = createDb(voipdb.standby, { applicationName: 'client-standby' });
  });
  afterAll(async () => {
    await standby?.destroy();
    await primary?.destroy();
    await pair?.stop();
  });

  test('nodeRole tells the primary from the standby', async () => {
    expect(await nodeRole(primary)).toBe('primary');
    expect(await nodeRole(standby)).toBe('standby');
  });

  test('reads work on the standby: the directory lookup answers from node2', async () => {
    expect(await lookupDirectoryUser(standby, { domain: 'ha.example.net', user: '1001' })).toMatchObject({ extension: '1001' });
  });

  test('writes on the standby are StandbyWriteError (exit 4), change nothing and leave the pool usable', async () => {
    const before = await lookupDirectoryUser(standby, { domain: 'ha.example.net', user: '1001' });
    expect(before).toMatchObject({ extension: '1001', a1Hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const attempts: (() => Promise<unknown>)[] = [
      () => setExtensionPassword(standby, { domain: 'ha.example.net', extension: '1001', password: 'changed' }),
      () =>
        ingestCdr(standby, {
          uuid: '2b4c2f0e-6d0c-4c53-9d2a-0c1f2b3a4d5e',
          startStamp: new Date('2025-06-02Z'),
          endStamp: new Date('2025-06-02T00:01:00Z'),
          duration: 60,
          billsec: 60,
          leg: 'a',
          direction: 'inbound',
        }),
      // A batch this large goes as one COPY.
      () =>
        ingestCdrs(
          standby,
          Array.from({ length: 1000 }, () => ({
            uuid: randomUUID(),
            startStamp: new Date('2025-06-02Z'),
            endStamp: new Date('2025-06-02T00:01:00Z'),
            duration: 60,
            billsec: 60,
            leg: 'a' as const,
            direction: 'inbound' as const,
          })),
        ),
      () => standby.transaction().execute((trx) => trx.deleteFrom('voip.extensions').where('extension', '=', '1001').execute()),
      () =>
        standby
          .transaction()
          .setAccessMode('read write')
          .execute((trx) => nodeRole(trx)),
    ];
    for (const attempt of attempts) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StandbyWriteError);
      expect((error as StandbyWriteError).exitCode).toBe(4);
      expect(((error as StandbyWriteError).cause as { code: string }).code).toMatch(/^(25006|0A000)$/);
    }
    // The same pool answers, and the refused password change and delete left the row as it was.
    expect(await lookupDirectoryUser(standby, { domain: 'ha.example.net', user: '1001' })).toEqual(before);
    await waitForCatchUp(pair);
    expect(await lookupDirectoryUser(primary, { domain: 'ha.example.net', user: '1001' })).toEqual(before);
  });

  test('a query cancelled by replay is a RecoveryConflictError', async () => {
    const running = sql`SELECT pg_sleep(20) FROM conflict_probe UNION ALL SELECT pg_sleep(20)`.execute(standby).catch((e: unknown) => e);
    await expect.poll(() => activeOnStandby('pg_sleep(20)'), { timeout: 10_000 }).toBe(true);
    await sql`ALTER TABLE conflict_probe ADD COLUMN a integer`.execute(primary);
    const error = await running;
    expect(error).toBeInstanceOf(RecoveryConflictError);
    expect((error as Error).cause).toMatchObject({ code: '40001', message: expect.stringMatching(/conflict with recovery/) });
  });

  test('a transaction whose session replay terminated is a RecoveryConflictError, and withRetry runs it again', async () => {
    let firstAttempt = true;
    const retried: unknown[] = [];
    const count = await withRetry(
      (attempt) =>
        standby.transaction().execute(async (trx) => {
          await sql`SELECT count(*) FROM conflict_probe`.execute(trx);
          const {
            rows: [session],
          } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
          if (firstAttempt) {
            firstAttempt = false;
            // Idle in a transaction holding a lock that replay needs: the server ends the session.
            await sql`ALTER TABLE conflict_probe ADD COLUMN b${sql.raw(String(attempt))} integer`.execute(primary);
            await expect.poll(() => sessionExists(session!.pid), { timeout: 10_000 }).toBe(false);
          }
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM voip.extensions`.execute(trx);
          return rows[0]!.n;
        }),
      { attempts: 3, backoffMs: 50, onRetry: (e) => retried.push(e) },
    );
    expect(count).toBe(1);
    expect(retried).toHaveLength(1);
    expect(retried[0]).toBeInstanceOf(RecoveryConflictError);
    expect((retried[0] as Error).cause as { severity?: string; code: string }).toMatchObject({ code: '40001', severity: 'FATAL' });
  });

  async function activeOnStandby(text: string): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE state = 'active' AND query LIKE ${`%${text}%`} AND pid <> pg_backend_pid()`.execute(standby);
    return rows[0]!.n > 0;
  }

  async function sessionExists(pid: number): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`.execute(standby);
    return rows[0]!.n > 0;
  }
});

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDoctor } from '../../src/cli/commands/doctor.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { createDb, lookupDirectoryUser, setExtensionPassword } from '../../src/client/index.js';
import { StandbyWriteError } from '../../src/client/errors.js';
import { dumpDatabase } from '../../src/schema/dump/schema-file.js';
import { configUrl, query } from '../support/database.js';
import { runCli } from '../support/cli.js';
import { runInProcess } from '../support/in-process-cli.js';
import { copyOfMigrations, MIGRATIONS_DIR, migrateAndSeedByCli, TEST_ROLE_PASSWORDS } from '../support/migrate.js';
import { type ReplicationPair, nodeConfig, startReplicationPair, waitForCatchUp } from '../support/standby.js';

/**
 * The platform's two-node behaviour on a real PostgreSQL 18 pair (node1 primary, node2 hot
 * standby streaming through node2_slot): migrations reach the standby, the standby refuses
 * writes with exit 4, `db doctor` sees lag, a stopped standby and a promotion.
 * One pair for the whole file; the tests run in order and the last one promotes the standby.
 */

let pair: ReplicationPair;
let primaryDb: ConnectionConfig;
let standbyDb: ConnectionConfig;
/** The repository's migrations plus one more, so that there is something pending to refuse. */
let extraMigrationsDir: string;

const EXTRA_MIGRATION = '0900_replication_probe.sql';

beforeAll(async () => {
  pair = await startReplicationPair('pg18');
  await query(nodeConfig(pair.primary), 'CREATE DATABASE voipdb');
  primaryDb = nodeConfig(pair.primary, 'voipdb');
  standbyDb = nodeConfig(pair.standby, 'voipdb');
  extraMigrationsDir = await copyOfMigrations('replication');
  await fs.writeFile(path.join(extraMigrationsDir, EXTRA_MIGRATION), 'CREATE TABLE voip.replication_probe (id int PRIMARY KEY);\n');

  // The replicator's password is the one the harness gave it, so streaming goes on (sync finds it unchanged).
  await migrateAndSeedByCli(configUrl(primaryDb), pair.replicator.password);
  await waitForCatchUp(pair);
});

afterAll(async () => {
  await pair?.stop();
  if (extraMigrationsDir) await fs.rm(extraMigrationsDir, { recursive: true, force: true });
});

/** Runs `db doctor` in-process through its commander command, as main.ts would. */
async function doctor(
  config: ConnectionConfig,
  ...flags: string[]
): Promise<{
  code: number;
  report: {
    severity: string;
    node: { role: string };
    checks: Array<{ id: string; severity: string; summary: string; data?: Record<string, unknown> }>;
  };
  stderr: string;
}> {
  const r = await runInProcess(registerDoctor, ['doctor', '--json', '--url', configUrl(config), ...flags], {
    cwd: path.resolve(MIGRATIONS_DIR, '..'),
  });
  return { code: r.code, report: JSON.parse(r.out.join('\n')), stderr: r.err.join('\n') };
}

/** `db doctor --json` as monitoring runs it: the built command, its Nagios exit code. */
async function doctorCli(config: ConnectionConfig, ...flags: string[]): Promise<Awaited<ReturnType<typeof doctor>>> {
  const r = await runCli(['doctor', '--json', '--url', configUrl(config), ...flags]);
  return { code: r.code ?? -1, report: JSON.parse(r.stdout), stderr: r.stderr };
}

const notOk = (checks: Array<{ id: string; severity: string; summary: string }>): string[] =>
  checks.filter((c) => c.severity !== 'ok').map((c) => `${c.id} ${c.severity}: ${c.summary}`);

describe('migrations applied on the primary reach the standby', () => {
  it("the standby's schema dump equals the primary's, and the seeded rows are there", async () => {
    const [p, st] = [await dumpDatabase(primaryDb), await dumpDatabase(standbyDb)];
    expect(p).toContain('CREATE TABLE kamailio.subscriber');
    expect(st).toBe(p);
    const count =
      'SELECT (SELECT count(*) FROM voip.extensions)::int AS extensions, (SELECT count(*) FROM kamailio.subscriber)::int AS subscribers';
    const [onPrimary] = await query<{ extensions: number; subscribers: number }>(primaryDb, count);
    expect(onPrimary!.extensions).toBeGreaterThan(0);
    expect(await query(standbyDb, count)).toEqual([onPrimary]);
  });

  it('`db status --json` on the standby lists the same applied migrations, with role standby', async () => {
    const onPrimary = await runCli(['status', '--json', '--url', configUrl(primaryDb)]);
    const onStandby = await runCli(['status', '--json', '--url', configUrl(standbyDb)]);
    expect(onStandby.code).toBe(0);
    const p = JSON.parse(onPrimary.stdout) as { node: { role: string }; applied: Array<{ version: number }>; pending: unknown[] };
    const s = JSON.parse(onStandby.stdout) as typeof p;
    expect(p.node.role).toBe('primary');
    expect(s.node.role).toBe('standby');
    expect(s.applied.length).toBe((await fs.readdir(MIGRATIONS_DIR)).filter((f) => !f.includes('.down.')).length);
    expect(s.applied).toEqual(p.applied);
    expect(s.pending).toEqual([]);
  });
});

describe('the standby refuses writes', () => {
  it('`db migrate` against the standby exits 4, says to run it on the primary, and writes nothing', async () => {
    const before = await query<{ n: string }>(primaryDb, 'SELECT count(*)::text AS n FROM voipdb_meta.migrations');
    const r = await runCli(['migrate', '--url', configUrl(standbyDb), '--migrations-dir', extraMigrationsDir]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('error[NODE_IS_STANDBY]');
    expect(r.stderr).toMatch(/hint: .*primary/);
    expect(r.stderr).not.toContain(pair.primary.password);
    await waitForCatchUp(pair);
    for (const db of [primaryDb, standbyDb]) {
      expect(await query(db, "SELECT to_regclass('voip.replication_probe') AS t")).toEqual([{ t: null }]);
      expect(await query<{ n: string }>(db, 'SELECT count(*)::text AS n FROM voipdb_meta.migrations')).toEqual(before);
    }
  });

  it('`db seed` against the standby exits 4 and writes nothing', async () => {
    const count = 'SELECT count(*)::int AS n, max(xmin::text::bigint) AS x FROM voip.extensions';
    const before = await query(primaryDb, count);
    const r = await runCli(['seed', '--url', configUrl(standbyDb)]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('error[NODE_IS_STANDBY]');
    expect(r.stderr).toMatch(/hint: .*primary/);
    await waitForCatchUp(pair);
    expect(await query(primaryDb, count)).toEqual(before);
    expect(await query(standbyDb, count)).toEqual(before);
  });

  it('`db adopt` and `db partitions` against the standby exit 4 and write nothing', async () => {
    const partitions = "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'voip.cdr'::regclass";
    const history = 'SELECT count(*)::int AS n FROM voipdb_meta.migrations';
    const before = [await query(primaryDb, partitions), await query(primaryDb, history)];
    for (const args of [['adopt'], ['partitions', '--ahead', '12', '--retain', '1']]) {
      const r = await runCli([...args, '--url', configUrl(standbyDb)]);
      expect(r.code, args[0]).toBe(4);
      expect(r.stderr).toContain('error[NODE_IS_STANDBY]');
      expect(r.stderr).toMatch(/hint: .*primary/);
    }
    await waitForCatchUp(pair);
    for (const db of [primaryDb, standbyDb]) expect([await query(db, partitions), await query(db, history)]).toEqual(before);
  });

  it('the typed client reads on the standby and gets StandbyWriteError on a write', async () => {
    const db = createDb({ ...standbyDb, user: 'voipadmin', password: TEST_ROLE_PASSWORDS.voipadmin });
    try {
      const user = await lookupDirectoryUser(db, { domain: 'demo.voipdb.test', user: '1001' });
      expect(user?.extension).toBe('1001');
      const write = setExtensionPassword(db, { domain: 'demo.voipdb.test', extension: '1001', password: 'changed-on-standby' });
      await expect(write).rejects.toBeInstanceOf(StandbyWriteError);
      await expect(write).rejects.toMatchObject({ code: 'STANDBY_WRITE', exitCode: 4 });
    } finally {
      await db.destroy();
    }
  });

  it('a plain write on the standby fails with SQLSTATE 25006', async () => {
    await expect(
      query(standbyDb, "INSERT INTO voipdb_meta.migrations VALUES (999, 'x', repeat('0', 64), now(), 0, 't')"),
    ).rejects.toMatchObject({ code: '25006' });
  });
});

describe('db doctor on the pair', () => {
  /** Every check OK and exit 0 on a node in `role`, and at least the checks `ids` among them. */
  const expectHealthy = (r: Awaited<ReturnType<typeof doctor>>, role: 'primary' | 'standby', ids: string[]): void => {
    expect(notOk(r.report.checks)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.report.node.role).toBe(role);
    expect(r.report.checks.map((c) => c.id)).toEqual(expect.arrayContaining(ids));
  };

  it('is OK on both nodes of a healthy pair', async () => {
    expectHealthy(await doctor(primaryDb), 'primary', [
      'setting.wal_level',
      'setting.max_wal_senders',
      'setting.max_replication_slots',
      'setting.wal_keep_size',
      'setting.archive_mode',
      'slot.node2_slot',
      'standby.node2',
      'role.kamailio',
      'role.voipadmin',
      'role.replicator',
      'migrations.pending',
      'migrations.checksums',
    ]);
    expectHealthy(await doctorCli(standbyDb), 'standby', [
      'standby.recovery',
      'setting.hot_standby',
      'setting.hot_standby_feedback',
      'setting.primary_slot_name',
      'standby.wal_receiver',
      'standby.lag_bytes',
      'standby.lag_seconds',
      'role.kamailio',
      'migrations.pending',
    ]);
  });

  it('turns CRITICAL on the standby while replay is paused and the primary writes, and OK again after resume', async () => {
    await query(standbyDb, 'SELECT pg_wal_replay_pause()');
    try {
      // About 15 MB of WAL: beyond the default 10MB limit.
      await query(
        primaryDb,
        'CREATE TABLE voip.lag_probe AS SELECT g AS id, repeat(md5(g::text), 6) AS filler FROM generate_series(1, 60000) g',
      );
      const [target] = await query<{ lsn: string }>(primaryDb, 'SELECT pg_current_wal_flush_lsn()::text AS lsn');
      await waitUntil(
        async () => (await query<{ ok: boolean }>(standbyDb, 'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok', [target!.lsn]))[0]!.ok,
      );
      const paused = await doctorCli(standbyDb);
      expect(paused.code).toBe(2);
      expect(paused.report.severity).toBe('critical');
      const lag = paused.report.checks.find((c) => c.id === 'standby.lag_bytes')!;
      expect(lag.severity).toBe('critical');
      expect(lag.data!.lagBytes as number).toBeGreaterThan(10 * 1024 * 1024);
      expect(paused.report.checks.find((c) => c.id === 'standby.replay_paused')?.severity).toBe('warning');
    } finally {
      await query(standbyDb, 'SELECT pg_wal_replay_resume()');
    }
    await waitForCatchUp(pair);
    const resumed = await doctor(standbyDb);
    expect(notOk(resumed.report.checks)).toEqual([]);
    expect(resumed.code).toBe(0);
  });

  it('counts time lag only while received WAL waits: an idle pair is not late, a paused one is', async () => {
    await waitForCatchUp(pair);
    // Caught up: however long ago the last commit was, nothing waits, so no time lag even at a 1 ms limit.
    const idle = await doctor(standbyDb, '--max-lag-seconds', '1ms');
    expect(idle.report.checks.find((c) => c.id === 'standby.lag_seconds')).toMatchObject({ severity: 'ok', data: { lagSeconds: 0 } });
    await query(standbyDb, 'SELECT pg_wal_replay_pause()');
    try {
      await query(primaryDb, 'CREATE TABLE voip.time_lag_probe (id int)');
      const [target] = await query<{ lsn: string }>(primaryDb, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await query(primaryDb, 'SELECT pg_switch_wal()');
      await waitUntil(
        async () => (await query<{ ok: boolean }>(standbyDb, 'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok', [target!.lsn]))[0]!.ok,
      );
      const late = await doctor(standbyDb, '--max-lag-seconds', '1ms', '--max-lag-bytes', '1GB');
      expect(late.code).toBe(2);
      expect(late.report.checks.find((c) => c.id === 'standby.lag_bytes')?.severity).toBe('ok');
      const seconds = late.report.checks.find((c) => c.id === 'standby.lag_seconds')!;
      expect(seconds.severity).toBe('critical');
      expect(seconds.data!.lagSeconds as number).toBeGreaterThan(0.001);
    } finally {
      await query(standbyDb, 'SELECT pg_wal_replay_resume()');
    }
    await waitForCatchUp(pair);
  });

  it('honours --max-lag-bytes / --max-lag-seconds and refuses a malformed size with UNKNOWN', async () => {
    const ok = await doctor(standbyDb, '--max-lag-bytes', '512kB', '--max-lag-seconds', '2');
    expect(ok.report).toMatchObject({ thresholds: { maxLagBytes: 512 * 1024, maxLagSeconds: 2 } });
    const bad = await runInProcess(registerDoctor, ['doctor', '--url', configUrl(standbyDb), '--max-lag-bytes', '10 parsecs'], {
      cwd: os.tmpdir(),
    });
    expect(bad.code).toBe(3);
    expect(bad.err.join('\n')).toContain('--max-lag-bytes must be a size');
  });

  it('reports the inactive slot on the primary while the standby is stopped', async () => {
    await pair.stopStandby();
    try {
      // The primary learns of it when the walsender sees the connection drop.
      await waitUntil(
        async () =>
          (await query<{ active: boolean }>(primaryDb, "SELECT active FROM pg_replication_slots WHERE slot_name = 'node2_slot'"))[0]!
            .active === false,
      );
      const r = await doctor(primaryDb);
      expect(r.code).toBe(2);
      const slot = r.report.checks.find((c) => c.id === 'slot.node2_slot')!;
      expect(slot).toMatchObject({ severity: 'critical', data: { active: false } });
      expect(slot.summary).toContain('inactive');
      expect(r.report.checks.find((c) => c.id === 'standbys')?.severity).toBe('critical');
    } finally {
      await pair.startStandby();
    }
    await waitUntil(
      async () =>
        (await query(primaryDb, "SELECT 1 FROM pg_stat_replication WHERE application_name = 'node2' AND state = 'streaming'")).length === 1,
    );
    expect((await doctor(primaryDb)).code).toBe(0);
  });
});

describe('after pg_promote() on the standby', () => {
  it('`db migrate` works there and `db status` says primary', async () => {
    await query(standbyDb, 'SELECT pg_promote(true, 60)');
    const r = await runCli(['migrate', '--url', configUrl(standbyDb), '--migrations-dir', extraMigrationsDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0900');
    const status = await runCli(['status', '--json', '--url', configUrl(standbyDb), '--migrations-dir', extraMigrationsDir]);
    const s = JSON.parse(status.stdout) as { node: { role: string }; applied: Array<{ version: number }>; pending: unknown[] };
    expect(s.node.role).toBe('primary');
    expect(s.applied.map((a) => a.version)).toContain(900);
    expect(s.pending).toEqual([]);
    expect(await query(standbyDb, "SELECT to_regclass('voip.replication_probe')::text AS t")).toEqual([{ t: 'voip.replication_probe' }]);
    // The old primary never saw it: the two have diverged, as a real failover without fencing would.
    expect(await query(primaryDb, "SELECT to_regclass('voip.replication_probe') AS t")).toEqual([{ t: null }]);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

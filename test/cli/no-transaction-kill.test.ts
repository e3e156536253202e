import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/doctor/doctor.js';
import { withConnection } from '../../src/database/connect.js';
import { migrate } from '../../src/engine/operations.js';
import { runCli, spawnCli } from '../support/cli.js';
import { configUrl, freshDatabase, query } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';

type Db = Parameters<typeof query>[0];
const history = async (db: Db): Promise<number[]> =>
  (await query<{ version: number }>(db, 'SELECT version FROM voipdb_meta.migrations ORDER BY version')).map((r) => r.version);
const indexState = async (db: Db): Promise<Array<{ valid: boolean }>> =>
  query(db, "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ext_user_idx'");

describe('db migrate killed during CREATE INDEX CONCURRENTLY IF NOT EXISTS (PostgreSQL 18)', () => {
  it('leaves an INVALID index that doctor reports; the next run drops and rebuilds it before recording the migration', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({
      '0001_t.sql':
        'CREATE SCHEMA voip; CREATE TABLE voip.ext (username text); INSERT INTO voip.ext SELECT g::text FROM generate_series(1, 1000) g;',
    });
    await migrate(db, { migrationsDir: dir });
    await fs.writeFile(
      path.join(dir, '0002_ext_user_idx.sql'),
      '-- voipdb:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ext_user_idx ON voip.ext (username);\n',
    );
    await withConnection({ ...db, applicationName: 'long-report' }, async (holder) => {
      // A writing transaction left open: the index build waits for it after creating the (invalid) index.
      await holder.query("BEGIN; INSERT INTO voip.ext VALUES ('x')");
      const child = spawnCli(['migrate', '--migrations-dir', dir, '--lock-timeout', '60s'], { DATABASE_URL: configUrl(db) });
      const deadline = Date.now() + 20_000;
      for (;;) {
        const waiting = await query(
          db,
          "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock' AND datname = current_database()",
        );
        if (waiting.length > 0 && (await indexState(db)).length > 0) break;
        if (Date.now() > deadline) throw new Error('the index build never started waiting');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
      // The server notices the dead client (client_connection_check_interval) and ends the build.
      for (const until = Date.now() + 10_000; ; ) {
        const builds = await query(db, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY%'");
        if (builds.length === 0) break;
        if (Date.now() > until) throw new Error('the killed build is still running');
        await new Promise((r) => setTimeout(r, 100));
      }
      await holder.query('ROLLBACK');
    });
    expect(await history(db)).toEqual([1]);
    expect(await indexState(db)).toEqual([{ valid: false }]);
    const report = await withConnection(db, (client) => runDoctor(client));
    expect(report.checks.find((c) => c.id === 'indexes.invalid')).toMatchObject({
      severity: 'warning',
      data: { invalid: ['voip.ext_user_idx'] },
    });

    const next = await runCli(['migrate', '--migrations-dir', dir, '--lock-wait', '10s'], { env: { DATABASE_URL: configUrl(db) } });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('dropped the INVALID index voip.ext_user_idx an interrupted run left');
    expect(await indexState(db)).toEqual([{ valid: true }]);
    expect(await history(db)).toEqual([1, 2]);
  });

  it('refuses misnamed and non-UTF-8 files with exit 2 and one error line', async () => {
    const db = await freshDatabase('pg18');
    const misnamed = await migrationsFixture({ '0001_a.sql': 'SELECT 1;', '0002_AddThing.sql': 'SELECT 2;', 'README.md': '' });
    const named = await runCli(['migrate', '--migrations-dir', misnamed], { env: { DATABASE_URL: configUrl(db) } });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/^error\[MIGRATION_FILE_NAME_INVALID\]: 0002_AddThing\.sql in .* is not a valid migration file name/);
    const latin1 = await migrationsFixture({ '0001_a.sql': '' });
    await fs.writeFile(path.join(latin1, '0001_a.sql'), Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xe9, 0x27, 0x3b]));
    const encoded = await runCli(['migrate', '--migrations-dir', latin1], { env: { DATABASE_URL: configUrl(db) } });
    expect(encoded.code).toBe(2);
    expect(encoded.stderr).toMatch(/^error\[MIGRATION_FILE_NOT_UTF8\]: 0001_a\.sql:1: not valid UTF-8/);
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname = 'voipdb_meta'")).toEqual([]);
  });
});

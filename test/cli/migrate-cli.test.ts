import os from 'node:os';
import { promises as fs } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/cluster.js';
import { configUrl, freshDatabase, query, server } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';
import { runCli, spawnCli } from '../support/cli.js';

const history = async (db: Parameters<typeof query>[0]): Promise<number[]> =>
  (await query<{ version: number }>(db, 'SELECT version FROM voipdb_meta.migrations ORDER BY version')).map((r) => r.version);

describe('db migrate as a process (PostgreSQL 18)', () => {
  it('8 processes started at once on one empty database: every migration applied exactly once, all exit 0', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app; CREATE TABLE app.counter (n int); SELECT pg_sleep(0.3);',
      '0002_b.sql': 'INSERT INTO app.counter VALUES (1);',
      '0003_c.sql': 'INSERT INTO app.counter VALUES (1);',
    });
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['migrate', '--migrations-dir', dir], { env: { DATABASE_URL: configUrl(db) } })),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(await history(db)).toEqual([1, 2, 3]);
    expect(await query(db, 'SELECT count(*)::int AS n FROM app.counter')).toEqual([{ n: 2 }]);
    // Exactly one process applied them; the others found nothing pending.
    expect(runs.filter((r) => r.stdout.includes('applied 3 migration(s)')).length).toBe(1);
  });

  it('a process killed with SIGKILL during a slow migration leaves the previous migration; the next run completes', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app;',
      '0002_slow.sql': 'CREATE TABLE app.half (id int);\nSELECT pg_sleep(30);\n',
    });
    const child = spawnCli(['migrate', '--migrations-dir', dir], { DATABASE_URL: configUrl(db) });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const sleeping = await query(
        db,
        "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'CREATE TABLE app.half%' AND state = 'active' AND datname = current_database()",
      );
      if (sleeping.length > 0) break;
      if (Date.now() > deadline) throw new Error('the slow migration never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    expect(await history(db)).toEqual([1]);
    expect(await query(db, "SELECT 1 FROM pg_class WHERE relname = 'half'")).toEqual([]);
    // The server notices the dead client within a second (client_connection_check_interval),
    // rolls back and frees the migration lock long before pg_sleep(30) would end. The killed 0002
    // was never recorded, so a corrected 0002 may replace it.
    const quick = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0002_slow.sql': 'CREATE TABLE app.half (id int);\n' });
    const next = await runCli(['migrate', '--migrations-dir', quick, '--lock-wait', '10s'], { env: { DATABASE_URL: configUrl(db) } });
    expect(next.code, next.stderr).toBe(0);
    expect(await history(db)).toEqual([1, 2]);
  });

  it('--dry-run prints the SQL and writes nothing', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;' });
    const r = await runCli(['migrate', '--dry-run', '--migrations-dir', dir], { env: { DATABASE_URL: configUrl(db) } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('CREATE SCHEMA app;');
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname IN ('app', 'voipdb_meta')")).toEqual([]);
  });

  it('status --json has the documented shape; --exit-code exits 1 while anything is pending', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0002_b.sql': 'CREATE TABLE app.b (id int);' });
    await runCli(['migrate', '--to', '1', '--migrations-dir', dir], { env: { DATABASE_URL: configUrl(db) } });
    const r = await runCli(['status', '--json', '--exit-code', '--migrations-dir', dir], { env: { DATABASE_URL: configUrl(db) } });
    expect(r.code).toBe(1);
    const status = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(status).toEqual({
      node: { role: 'primary', serverVersion: expect.stringMatching(/^18\.\d+$/) },
      applied: [{ version: 1, name: 'a', checksum: expect.stringMatching(/^[0-9a-f]{64}$/), appliedAt: expect.any(String) }],
      pending: [{ version: 2, name: 'b' }],
    });
    const done = await runCli(['migrate', '--migrations-dir', dir], { env: { DATABASE_URL: configUrl(db) } });
    expect(done.code).toBe(0);
    expect((await runCli(['status', '--exit-code', '--migrations-dir', dir], { env: { DATABASE_URL: configUrl(db) } })).code).toBe(0);
  });

  it('db new creates the next numbered file and refuses a bad name with exit 2', async () => {
    const dir = await migrationsFixture({ '0007_a.sql': 'SELECT 1;' });
    const r = await runCli(['new', 'add_queue_timeouts', '--migrations-dir', dir, '--down']);
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.readdir(dir)).sort()).toEqual(['0007_a.sql', '0008_add_queue_timeouts.down.sql', '0008_add_queue_timeouts.sql']);
    const bad = await runCli(['new', 'Bad Name', '--migrations-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error\[MIGRATION_NAME_INVALID\]/);
  });
});

describe('bad configuration: exit code, one error line, never the password', () => {
  const secret = 'Sup3r-Secret-pw';
  const expectClean = (r: { stderr: string; stdout: string }): void => {
    const all = r.stdout + r.stderr;
    expect(all).not.toContain(secret);
    expect(all).not.toMatch(/\n\s+at /);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error\[[A-Z_]+\]: /);
    expect(lines.at(-1)).toMatch(/^hint: /);
  };

  it('no connection configured at all: exit 2, never a guess', async () => {
    // Outside any checkout: in one whose local server runs, the CLI would use that server.
    const r = await runCli(['status'], { cwd: os.tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[NO_CONNECTION_CONFIGURED\]/);
  });

  it('malformed URL: exit 2', async () => {
    const r = await runCli(['status', '--url', `postgres://admin:${secret}@[::1:5432/voipdb`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[CONFIG_INVALID\]/);
    expectClean(r);
  });

  it('every problem is reported at once', async () => {
    const r = await runCli(['migrate', '--url', 'mysql://x@h/db', '--lock-wait', 'soon', '--lock-retries', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('3 problems');
    expect(r.stderr).toContain('--lock-wait');
    expect(r.stderr).toContain('postgres://');
  });

  it('unknown host: exit 3', async () => {
    const r = await runCli(['status', '--url', `postgres://admin:${secret}@no-such-host.invalid:5432/voipdb`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[HOST_NOT_FOUND\]/);
    expectClean(r);
  });

  it('closed port: exit 3', async () => {
    const port = await freePort();
    const r = await runCli(['status', '--url', `postgres://admin:${secret}@127.0.0.1:${port}/voipdb`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[CONNECTION_REFUSED\]/);
    expectClean(r);
  });

  it('wrong password: exit 3', async () => {
    const s = server('pg18');
    const r = await runCli(['status', '--url', `postgres://${s.user}:${secret}@${s.host}:${s.port}/postgres`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[AUTH_FAILED\]/);
    expectClean(r);
  });

  it('missing database: exit 3', async () => {
    const s = server('pg18');
    const r = await runCli(['status'], {
      env: { PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user, PGPASSWORD: s.password, PGDATABASE: 'no_such_db' },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[DATABASE_NOT_FOUND\]/);
    expect(r.stdout + r.stderr).not.toContain(s.password);
  });
});

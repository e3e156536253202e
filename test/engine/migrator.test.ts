import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { renderError } from '../../src/cli/render-error.js';
import { createMigrator } from '../../src/migrate/index.js';
import { runCli } from '../support/cli.js';
import { withPoisonedDist } from '../support/dist-copy.js';
import { configUrl, freshDatabase, query } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';

const run = promisify(execFile);

describe('createMigrator (PostgreSQL 18)', () => {
  it('returns one run model, and a failure throws its own error with the run as far as it got', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app;',
      '0001_a.down.sql': 'DROP SCHEMA app;',
      '0002_bad.sql': 'ALTER TABLE app.nope ADD COLUMN x int;',
      '0003_c.sql': 'CREATE TABLE app.c (id int);',
    });
    const migrator = createMigrator({ migrationsDir: dir });
    const plan = await migrator.plan(configUrl(db), { to: 2 });
    expect(plan.migrations.map((m) => [m.version, m.status])).toEqual([
      [1, 'not-run'],
      [2, 'not-run'],
    ]);
    const error = (await migrator.migrate(db).catch((e: unknown) => e)) as { code: string; run: unknown };
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.run).toMatchObject({
      node: { role: 'primary' },
      direction: 'up',
      migrations: [
        { version: 1, name: 'a', direction: 'up', status: 'applied', durationMs: expect.any(Number) },
        { version: 2, name: 'bad', direction: 'up', status: 'failed' },
        { version: 3, name: 'c', direction: 'up', status: 'not-run', durationMs: 0 },
      ],
    });

    // An open session is borrowed and left open.
    const client = new pg.Client(db);
    await client.connect();
    try {
      const status = await migrator.status(client);
      expect(status.migrations.map((m) => [m.version, m.status])).toEqual([
        [1, 'applied'],
        [2, 'not-run'],
        [3, 'not-run'],
      ]);
      const reverted = await migrator.down(client, { step: 1 });
      expect(reverted.migrations).toEqual([expect.objectContaining({ version: 1, direction: 'down', status: 'reverted' })]);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('loads the runner only when there is something to run', async () => {
    // In a copy of dist/ where loading the runner throws, a run with nothing pending must
    // succeed and one with work must hit it.
    const db = await freshDatabase('pg18');
    const first = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;' });
    const second = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0002_b.sql': 'CREATE TABLE app.b (id int);' });
    await createMigrator({ migrationsDir: first }).migrate(db);
    const outcomes = await withPoisonedDist(['engine/runner.js'], async (dist) => {
      const script = `
        const { createMigrator } = await import(${JSON.stringify(path.join(dist, 'migrate/index.js'))});
        const attempt = (dir) => createMigrator({ migrationsDir: dir }).migrate(process.env.URL).then(() => 'ran', (e) => e.message);
        console.log(JSON.stringify([await attempt(${JSON.stringify(first)}), await attempt(${JSON.stringify(second)})]));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, URL: configUrl(db) },
      });
      return JSON.parse(stdout) as string[];
    });
    expect(outcomes).toEqual(['ran', 'engine/runner.js was loaded']);
  });

  it('a raw PostgreSQL error is a DatabaseError with SQLSTATE, detail and hint, exit 3', async () => {
    const db = await freshDatabase('pg18');
    const raw = await query(
      db,
      "DO $$ BEGIN RAISE EXCEPTION 'boom' USING DETAIL = 'the detail', HINT = 'the hint', ERRCODE = '22023'; END $$",
    ).catch((e: unknown) => e);
    const lines: string[] = [];
    const io = { out: () => undefined, err: (l: string) => lines.push(l), env: {}, cwd: '/', color: false, verbose: false };
    expect(renderError(raw, io)).toBe(3);
    expect(lines).toEqual(['error[DATABASE]: boom (SQLSTATE 22023)', '  detail: the detail', 'hint: the hint']);

    // Through the command: seeding a database that has no schema yet.
    const r = await runCli(['seed', '--url', configUrl(db)]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[DATABASE\]: .*\(SQLSTATE 42P01\)/);
  });
});

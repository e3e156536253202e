import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { down, migrate, migrationStatus, planRun } from '../../src/engine/operations.js';
import { withStatus } from '../../src/engine/result.js';
import { withConnection } from '../../src/database/connect.js';
import { freshDatabase, query } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';

const tableNames = async (db: Parameters<typeof query>[0], schema = 'app'): Promise<string[]> =>
  (
    await query<{ relname: string }>(
      db,
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r','p') ORDER BY 1",
      [schema],
    )
  ).map((r) => r.relname);
const history = async (db: Parameters<typeof query>[0]): Promise<number[]> =>
  (await query<{ version: number }>(db, 'SELECT version FROM voipdb_meta.migrations ORDER BY version')).map((r) => r.version);

describe.each(['pg18', 'pg15'] as const)('migration engine on %s', (serverName) => {
  it('applies in numeric version order (2 before 10), recording each with its checksum', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '10_third.sql': 'ALTER TABLE app.t ADD COLUMN c int;',
      '2_second.sql': 'CREATE TABLE app.t (id int);',
      '1_first.sql': 'CREATE SCHEMA app;',
    });
    const result = await migrate(db, { migrationsDir: dir });
    expect(result.migrations.map((a) => [a.version, a.status])).toEqual([
      [1, 'applied'],
      [2, 'applied'],
      [10, 'applied'],
    ]);
    const rows = await query<{ version: number; name: string; checksum: string }>(
      db,
      'SELECT version, name, checksum FROM voipdb_meta.migrations ORDER BY version',
    );
    expect(rows.map((r) => r.name)).toEqual(['first', 'second', 'third']);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
    const again = await migrate(db, { migrationsDir: dir });
    expect(again.migrations).toEqual([]);
    expect(again.alreadyApplied).toBe(3);
  });

  it('leaves no trace of a failing migration: no schema change, no history row', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '0001_base.sql': 'CREATE SCHEMA app;',
      '0002_bad.sql': 'CREATE TABLE app.half (id int);\nCREATE INDEX ON app.half (id);\nALTER TABLE app.nope ADD COLUMN x int;\n',
    });
    const error = await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e);
    // The server gives no position for this error: the failing statement's start is named.
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlState: '42P01', position: { line: 3, column: 1 } });
    expect((error as Error).message).toContain('0002_bad.sql:3:1');
    expect(await tableNames(db)).toEqual([]);
    expect(await history(db)).toEqual([1]);
  });

  it('points at the exact token when the server reports a position, with a caret excerpt', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app;\nCREATE TABLE app.x (id int);\n  SELECT missing_col FROM app.x;\n',
    });
    const error = (await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e)) as { position: unknown; details: () => string[] };
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlState: '42703', position: { line: 3, column: 10 } });
    expect(error.details()).toEqual(['3 |   SELECT missing_col FROM app.x;', '             ^']);
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname = 'app'")).toEqual([]);
  });

  it('refuses a changed applied file, a missing applied file and a new file that sorts before the last applied one', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0003_c.sql': 'CREATE TABLE app.c (id int);' });
    await migrate(db, { migrationsDir: dir });

    await fs.writeFile(path.join(dir, '0001_a.sql'), 'CREATE SCHEMA app; -- edited');
    await expect(migrate(db, { migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });
    // Line endings alone do not change the checksum.
    await fs.writeFile(path.join(dir, '0001_a.sql'), 'CREATE SCHEMA app;'.replace(/\n/g, '\r\n'));
    await fs.writeFile(path.join(dir, '0002_b.sql'), 'CREATE TABLE app.b (id int);');
    await expect(migrate(db, { migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_OUT_OF_ORDER' });
    await fs.rm(path.join(dir, '0002_b.sql'));
    await fs.rm(path.join(dir, '0003_c.sql'));
    await expect(migrate(db, { migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_FILE_MISSING' });
    expect(await history(db)).toEqual([1, 3]);
    expect(await tableNames(db)).toEqual(['c']);
  });

  it('refuses two files with the same version before connecting', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' });
    await expect(migrate(db, { migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_VERSION_DUPLICATE' });
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname = 'voipdb_meta'")).toEqual([]);
  });

  it('runs a no-transaction migration statement by statement (CREATE INDEX CONCURRENTLY)', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '0001_t.sql': "CREATE SCHEMA app; CREATE TABLE app.t (id int, note text); INSERT INTO app.t VALUES (1, 'a;b'), (2, $$x;y$$);",
      '0002_idx.sql':
        '-- voipdb:no-transaction\n-- a comment with a ; inside\nCREATE INDEX CONCURRENTLY t_id_idx ON app.t (id);\nCREATE INDEX CONCURRENTLY t_note_idx ON app.t (note);\n',
    });
    await migrate(db, { migrationsDir: dir });
    const indexes = await query<{ indexname: string }>(db, "SELECT indexname FROM pg_indexes WHERE schemaname = 'app' ORDER BY 1");
    expect(indexes.map((i) => i.indexname)).toEqual(['t_id_idx', 't_note_idx']);
    expect(await history(db)).toEqual([1, 2]);
  });

  it('drops and reports the invalid index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves, and records nothing', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '0001_t.sql': 'CREATE SCHEMA app; CREATE TABLE app.t (id int); INSERT INTO app.t VALUES (1), (1);',
      '0002_idx.sql': '-- voipdb:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_id_key ON app.t (id);\n',
    });
    const error = await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MIGRATION_INVALID_INDEX' });
    expect((error as Error).message).toContain('app.t_id_key');
    expect(await query(db, "SELECT 1 FROM pg_indexes WHERE indexname = 't_id_key'")).toEqual([]);
    expect(await history(db)).toEqual([1]);
  });

  it('reverts down to a version with the down files, newest first; refuses when a down file is missing', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app;',
      '0001_a.down.sql': 'DROP SCHEMA app;',
      '0002_b.sql': 'CREATE TABLE app.b (id int);',
      '0002_b.down.sql': 'DROP TABLE app.b;',
      '0003_c.sql': 'CREATE TABLE app.c (b_id int);',
      '0003_c.down.sql': 'DROP TABLE app.c;',
    });
    await migrate(db, { migrationsDir: dir });
    const result = await down(db, { migrationsDir: dir, to: 1 });
    expect(withStatus(result, 'reverted').map((r) => r.version)).toEqual([3, 2]);
    expect(await history(db)).toEqual([1]);
    expect(await tableNames(db)).toEqual([]);
    await migrate(db, { migrationsDir: dir });
    await fs.rm(path.join(dir, '0002_b.down.sql'));
    await expect(down(db, { migrationsDir: dir, step: 2 })).rejects.toMatchObject({ code: 'MIGRATION_DOWN_MISSING' });
    expect(await history(db)).toEqual([1, 2, 3]);
    await down(db, { migrationsDir: dir, step: 1 });
    expect(await history(db)).toEqual([1, 2]);
  });

  it('a dry run lists the SQL and writes nothing, not even the history table', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;' });
    const plan = await planRun(db, { migrationsDir: dir });
    expect(plan.steps).toEqual([expect.objectContaining({ version: 1, sql: 'CREATE SCHEMA app;' })]);
    expect(plan.migrations).toEqual([expect.objectContaining({ version: 1, status: 'not-run' })]);
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname IN ('voipdb_meta', 'app')")).toEqual([]);
  });

  it('sets lock_timeout: a migration blocked by an open transaction is retried, then reported, and rolled back', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app; CREATE TABLE app.busy (id int);' });
    await migrate(db, { migrationsDir: dir });
    await fs.writeFile(path.join(dir, '0002_b.sql'), 'CREATE TABLE app.other (id int);\nALTER TABLE app.busy ADD COLUMN x int;\n');
    await withConnection(db, async (holder) => {
      await holder.query('BEGIN; LOCK TABLE app.busy IN ACCESS SHARE MODE');
      const events: string[] = [];
      const error = await migrate(db, {
        migrationsDir: dir,
        lockTimeoutMs: 100,
        lockRetries: 2,
        retryBackoffMs: 10,
        onEvent: (e) => events.push(e.type),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MIGRATION_LOCK_TIMEOUT' });
      expect((error as Error).message).toMatch(/after 3 attempts/);
      expect(events.filter((e) => e === 'retry')).toHaveLength(2);
      await holder.query('ROLLBACK');
    });
    expect(await tableNames(db)).toEqual(['busy']);
    await migrate(db, { migrationsDir: dir, lockTimeoutMs: 1000 });
    expect(await history(db)).toEqual([1, 2]);
  });

  it('waits a bounded time for the migration lock and names its holder', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;' });
    await withConnection({ ...db, applicationName: 'stuck-migrator' }, async (holder) => {
      await holder.query('SELECT pg_advisory_lock(7432190015102301)');
      const error = await migrate(db, { migrationsDir: dir, lockWaitMs: 300 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MIGRATION_LOCK_BUSY' });
      expect((error as Error).message).toMatch(/pid \d+, application_name "stuck-migrator"/);
    });
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname = 'app'")).toEqual([]);
  });

  it('status lists applied and pending migrations and flags a changed file', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0002_b.sql': 'CREATE TABLE app.b (id int);' });
    await migrate(db, { migrationsDir: dir, to: 1 });
    const status = await migrationStatus(db, dir);
    expect(status.node.role).toBe('primary');
    expect(status.applied.map((a) => [a.version, a.fileChanged])).toEqual([[1, false]]);
    expect(status.pending).toEqual([{ version: 2, name: 'b' }]);
  });

  it('refuses a TypeScript migration file before connecting, instead of skipping it', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0002_ts.ts': 'export async function up() {}' });
    await expect(migrate(db, { migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_FILE_UNSUPPORTED', exitCode: 2 });
    expect(await query(db, "SELECT 1 FROM pg_namespace WHERE nspname IN ('app', 'voipdb_meta')")).toEqual([]);
  });
});

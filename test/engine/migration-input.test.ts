import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withConnection } from '../../src/database/connect.js';
import { checksumOf } from '../../src/engine/files.js';
import { migrate } from '../../src/engine/operations.js';
import type { MigrationEvent } from '../../src/engine/run-migration.js';
import { freshDatabase, query } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';

type Db = Parameters<typeof query>[0];
const history = async (db: Db): Promise<number[]> =>
  (await query<{ version: number }>(db, 'SELECT version FROM voipdb_meta.migrations ORDER BY version')).map((r) => r.version);
const nothingWritten = async (db: Db): Promise<unknown[]> =>
  query(db, "SELECT nspname FROM pg_namespace WHERE nspname IN ('voipdb_meta', 'app')");
const indexState = async (db: Db, name: string): Promise<Array<{ valid: boolean }>> =>
  query(db, 'SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1', [name]);

// 2-, 3- and 4-byte UTF-8 characters.
const TEXTS = { accents: 'ÉéàüÖ', cjk: '日本語の文字', emoji: '😀'.repeat(30) };

describe('migration files as input (PostgreSQL 18)', () => {
  it('refuses files that look like migrations but break the naming rule, before anything runs; ignores README, .gitkeep and dotfiles', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app;',
      '0002_AddThing.sql': 'CREATE TABLE app.thing (id int);',
      '0003-add-thing.sql': 'CREATE TABLE app.other (id int);',
      'add_more.sql': 'SELECT 1;',
      '0004_b.down.sql': 'SELECT 1;',
      'README.md': '# migrations',
      '.gitkeep': '',
      '.0001_a.sql.swp': 'x',
      'helpers.ts': 'export const x = 1;',
    });
    const error = (await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e)) as { details: () => string[] };
    expect(error).toMatchObject({ code: 'MIGRATION_FILE_NAME_INVALID', exitCode: 2 });
    expect(error.details()).toEqual([
      '- 0002_AddThing.sql: the name after the version may hold only lower-case letters, digits and underscores (rename it to 0002_add_thing.sql)',
      '- 0003-add-thing.sql: the version is not followed by an underscore (rename it to 0003_add_thing.sql)',
      '- add_more.sql: it has no version number',
      '- 0004_b.down.sql: no up file 0004_b.sql goes with it',
    ]);
    expect(await nothingWritten(db)).toEqual([]);

    for (const name of ['0002_AddThing.sql', '0003-add-thing.sql', 'add_more.sql', '0004_b.down.sql']) await fs.rm(path.join(dir, name));
    await migrate(db, { migrationsDir: dir });
    expect(await history(db)).toEqual([1]);
  });

  it('refuses a file that is not UTF-8 with its file and line, before anything runs', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app;', '0002_b.sql': '' });
    const latin1 = Buffer.concat([Buffer.from('CREATE TABLE app.b (id int);\n-- caf'), Buffer.from([0xe9]), Buffer.from('\nSELECT 1;\n')]);
    await fs.writeFile(path.join(dir, '0002_b.sql'), latin1);
    const error = await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MIGRATION_FILE_NOT_UTF8', exitCode: 2, file: '0002_b.sql', line: 2 });
    expect((error as Error).message).toMatch(/^0002_b\.sql:2: not valid UTF-8/);
    expect(await nothingWritten(db)).toEqual([]);
  });

  it('strips a byte order mark alike in both modes, and keeps the checksum of the file as it is', async () => {
    const db = await freshDatabase('pg18');
    const first = '\uFEFFCREATE SCHEMA app;\r\nCREATE TABLE app.t (a int);\r\n';
    const dir = await migrationsFixture({
      '0001_a.sql': first,
      '0002_idx.sql': '\uFEFF-- voipdb:no-transaction\r\nCREATE INDEX CONCURRENTLY t_a_idx ON app.t (a);\r\n',
    });
    await migrate(db, { migrationsDir: dir });
    expect(await indexState(db, 't_a_idx')).toEqual([{ valid: true }]);
    expect(await query(db, 'SELECT checksum FROM voipdb_meta.migrations WHERE version = 1')).toEqual([{ checksum: checksumOf(first) }]);
  });

  describe.each(Object.entries(TEXTS))('error positions in characters after %s', (_kind, text) => {
    const width = [...text].length;
    it('server-reported positions: a whole transactional file, and one statement of a no-transaction file', async () => {
      const db = await freshDatabase('pg18');
      const dir = await migrationsFixture({
        '0001_a.sql': `CREATE SCHEMA app; -- ${text}\nSELECT '${text}' AS a,\n       '${text}' AS b, missing_col FROM (SELECT 1) s;\n`,
      });
      const error = (await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e)) as { details: () => string[] };
      expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlState: '42703', position: { line: 3, column: 8 + width + 8 + 1 } });
      expect(error.details()[0]).toBe(`3 |        '${text}' AS b, missing_col FROM (SELECT 1) s;`);

      const noTx = await migrationsFixture({
        '0001_a.sql': `-- voipdb:no-transaction\n-- ${text}\nSELECT '${text}'; SELECT '${text}', missing_col FROM (SELECT 1) s;\n`,
      });
      await expect(migrate(db, { migrationsDir: noTx })).rejects.toMatchObject({
        code: 'MIGRATION_FAILED',
        position: { line: 3, column: 8 + width + 3 + 8 + width + 3 + 1 },
      });
    });

    it('parser-located positions: a syntax error, and a failing statement the server gives no position for', async () => {
      const db = await freshDatabase('pg18');
      const syntax = await migrationsFixture({
        '0001_a.sql': `-- voipdb:no-transaction\n-- ${text}\nSELECT '${text}';\nSELECT '${text}'; SELEC 1;\n`,
      });
      await expect(migrate(db, { migrationsDir: syntax })).rejects.toMatchObject({
        code: 'MIGRATION_FAILED',
        sqlState: '42601',
        position: { line: 4, column: 8 + width + 3 + 1 },
      });
      const located = await migrationsFixture({
        '0001_a.sql': `CREATE SCHEMA app; -- ${text}\nSELECT '${text}'; ALTER TABLE app.nope ADD COLUMN x int;\n`,
      });
      await expect(migrate(db, { migrationsDir: located })).rejects.toMatchObject({
        code: 'MIGRATION_FAILED',
        sqlState: '42P01',
        position: { line: 2, column: 8 + width + 3 + 1 },
      });
    });
  });
});

describe.each(['pg18', 'pg15'] as const)('no-transaction migrations: invalid indexes and lock_timeout on %s', (serverName) => {
  it('never records a migration while an index it creates is INVALID; the next run drops and rebuilds it', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({
      '0001_t.sql': 'CREATE SCHEMA app; CREATE TABLE app.t (a int); INSERT INTO app.t SELECT generate_series(1, 100);',
      // The second statement stands for whatever leaves the index invalid (a kill, a cancel).
      '0002_idx.sql': [
        '-- voipdb:no-transaction',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON app.t (a);',
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'app.t_a_idx'::regclass;",
        '',
      ].join('\n'),
    });
    const error = await migrate(db, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MIGRATION_INVALID_INDEX' });
    expect((error as Error).message).toMatch(
      /^0002_idx\.sql:2: index app\.t_a_idx is INVALID after the migration ran; it was not recorded/,
    );
    expect(await history(db)).toEqual([1]);
    expect(await indexState(db, 't_a_idx')).toEqual([{ valid: false }]);

    await fs.writeFile(
      path.join(dir, '0002_idx.sql'),
      '-- voipdb:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON app.t (a);\n',
    );
    const events: MigrationEvent[] = [];
    await migrate(db, { migrationsDir: dir, onEvent: (e) => events.push(e) });
    expect(events.filter((e) => e.type === 'invalid-index-dropped').map((e) => (e as { index: string }).index)).toEqual(['app.t_a_idx']);
    expect(await indexState(db, 't_a_idx')).toEqual([{ valid: true }]);
    expect(await history(db)).toEqual([1, 2]);
  });

  it('retries a statement that meets lock_timeout, then reports MIGRATION_LOCK_TIMEOUT naming the blocker; a later run completes', async () => {
    const db = await freshDatabase(serverName);
    const dir = await migrationsFixture({ '0001_t.sql': 'CREATE SCHEMA app; CREATE TABLE app.busy (id int);' });
    await migrate(db, { migrationsDir: dir });
    await fs.writeFile(
      path.join(dir, '0002_idx.sql'),
      '-- voipdb:no-transaction\nCREATE TABLE IF NOT EXISTS app.side (id int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS busy_id_idx ON app.busy (id);\n',
    );
    await withConnection({ ...db, applicationName: 'report-query' }, async (holder) => {
      // An open writing transaction: CREATE INDEX CONCURRENTLY must wait for it to end.
      await holder.query('BEGIN; INSERT INTO app.busy VALUES (1)');
      const events: string[] = [];
      const error = await migrate(db, {
        migrationsDir: dir,
        lockTimeoutMs: 200,
        lockRetries: 2,
        retryBackoffMs: 10,
        onEvent: (e) => events.push(e.type),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MIGRATION_LOCK_TIMEOUT' });
      expect((error as Error).message).toMatch(
        /^0002_idx\.sql:3: could not take its table locks within lock_timeout 200 ms after 3 attempts/,
      );
      expect((error as Error).message).toMatch(/that statement was not applied, the ones before it were/);
      expect((error as Error).message).toMatch(/blocked by pid \d+ \((application_name "[^"]*", )?user postgres, idle in transaction/);
      expect(events.filter((e) => e === 'retry')).toHaveLength(2);
      await holder.query('ROLLBACK');
    });
    expect(await history(db)).toEqual([1]);
    await migrate(db, { migrationsDir: dir });
    expect(await indexState(db, 'busy_id_idx')).toEqual([{ valid: true }]);
    expect(await history(db)).toEqual([1, 2]);
  });
});

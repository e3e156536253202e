import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/operations.js';
import { runCli } from '../support/cli.js';
import { configUrl, freshDatabase } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';

const FORBID_PARSER = { NODE_OPTIONS: `--import=${path.resolve(import.meta.dirname, '../support/forbid-parser.mjs')}` };

describe('the SQL parser is loaded only when a file must be split or located (PostgreSQL 18)', () => {
  it('status, an up-to-date migrate and a transactional migration never load it; a no-transaction file does', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({ '0001_a.sql': 'CREATE SCHEMA app; CREATE TABLE app.t (a int);' });
    await migrate(db, { migrationsDir: dir, to: 1 });
    await fs.writeFile(path.join(dir, '0002_b.sql'), 'ALTER TABLE app.t ADD COLUMN b int;');
    const env = { DATABASE_URL: configUrl(db), ...FORBID_PARSER };
    for (const args of [['migrate'], ['migrate'], ['status']]) {
      const run = await runCli([...args, '--migrations-dir', dir], { env });
      expect(run.code, run.stderr).toBe(0);
    }
    // The guard works: a no-transaction file must be split, so it loads the parser, and fails here.
    await fs.writeFile(path.join(dir, '0003_c.sql'), '-- voipdb:no-transaction\nCREATE INDEX CONCURRENTLY t_a_idx ON app.t (a);\n');
    const split = await runCli(['migrate', '--migrations-dir', dir], { env });
    expect(split.code).not.toBe(0);
    expect(split.stderr).toContain('libpg-query was loaded');
  });
});

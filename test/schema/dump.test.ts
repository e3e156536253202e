import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { DUMP_HEADER, dumpDatabase } from '../../src/schema/dump/schema-file.js';
import { freshDatabase, query, type ServerName } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';

const FIXTURE = path.resolve(import.meta.dirname, 'fixtures/all-objects.sql');
const PSQL = ['/usr/bin/psql', '/usr/lib/postgresql/15/bin/psql'].find((p) => existsSync(p));

/** Loads a file the way the README tells people to: psql, stop on the first error, one transaction. */
async function psqlLoad(config: ConnectionConfig, sql: string): Promise<void> {
  if (!PSQL) throw new Error("psql is missing: install Debian's postgresql-client-15 (the .ci/run image has it)");
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-dump-'));
  const file = path.join(dir, 'schema.sql');
  await fs.writeFile(file, sql);
  try {
    await promisify(execFile)(
      PSQL,
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-1',
        '-f',
        file,
        '-h',
        config.host,
        '-p',
        String(config.port),
        '-U',
        config.user,
        '-d',
        config.database,
      ],
      { env: { ...process.env, PGPASSWORD: config.password ?? '', PGTZ: 'America/New_York' } },
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function fixtureDatabase(name: ServerName): Promise<ConnectionConfig> {
  const db = await freshDatabase(name);
  await psqlLoad(db, await fs.readFile(FIXTURE, 'utf8'));
  return db;
}

describe('schema dump of a fixture with every object kind', () => {
  it('is byte-identical from PostgreSQL 15 and 18, deterministic, and loads back to the same bytes on both', async () => {
    const [db18, db15] = await Promise.all([fixtureDatabase('pg18'), fixtureDatabase('pg15')]);
    const dump18 = await dumpDatabase(db18);
    const dump15 = await dumpDatabase(db15);
    expect(dump15).toBe(dump18);
    expect(await dumpDatabase(db18)).toBe(dump18);

    expect(dump18.split('\n')[0]).toBe(DUMP_HEADER);
    expect(dump18).not.toMatch(/PostgreSQL 1\d|server_version|\\restrict/);
    // What the fixture holds shows up, normalised.
    expect(dump18).toContain("CREATE TABLE voip.cdr_2030_01 PARTITION OF voip.cdr FOR VALUES FROM ('2030-01-01 00:00:00+00')");
    expect(dump18).toContain('REVOKE EXECUTE ON FUNCTION voip.extension_count(p_domain bigint) FROM PUBLIC;');
    expect(dump18).toContain('GRANT SELECT (id, number), UPDATE (display_name) ON TABLE voip.extensions TO dumptest_rw;');
    expect(dump18).toContain('GRANT SELECT, USAGE ON SEQUENCE voip.cdr_id_seq TO dumptest_rw;');
    expect(dump18).toContain('ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;');
    expect(dump18).toContain("INSERT INTO kamailio.version (table_name, table_version) VALUES ('o''quote', 1);");
    expect(dump18).toContain('ALTER TABLE voip.extensions ALTER COLUMN display_name SET STATISTICS 500;');
    expect(dump18).not.toMatch(/NOT NULL [a-z_]+\b.*_not_null|MAINTAIN|OWNER TO/);

    for (const name of ['pg18', 'pg15'] as const) {
      const copy = await freshDatabase(name);
      await psqlLoad(copy, dump18);
      expect(await dumpDatabase(copy), `round trip on ${name}`).toBe(dump18);
    }
  });

  it('a GRANT ALL gives the same dump on 15 and 18 (MAINTAIN is left out)', async () => {
    const dumps: string[] = [];
    for (const name of ['pg18', 'pg15'] as const) {
      const db = await freshDatabase(name);
      await query(
        db,
        `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dumptest_rw') THEN CREATE ROLE dumptest_rw NOLOGIN; END IF; END $$;
        CREATE SCHEMA voip; CREATE TABLE voip.t (id int); GRANT ALL ON voip.t TO dumptest_rw`,
      );
      dumps.push(await dumpDatabase(db));
    }
    expect(dumps[1]).toBe(dumps[0]);
    expect(dumps[0]).toContain('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE voip.t TO dumptest_rw;');
  });
});

describe('schema dump of the migrations', () => {
  it('is byte-identical from PostgreSQL 15 and 18 and survives a psql round trip', async () => {
    const [db18, db15] = await Promise.all([migratedDatabase('pg18'), migratedDatabase('pg15')]);
    const dump18 = await dumpDatabase(db18);
    expect(await dumpDatabase(db15)).toBe(dump18);
    expect(dump18).not.toMatch(/SCHEMA voipdb_meta|voipdb_meta\./);
    const copy = await freshDatabase('pg15');
    await psqlLoad(copy, dump18);
    expect(await dumpDatabase(copy)).toBe(dump18);
  });
});

import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { dumpDatabase } from '../../src/schema/dump/schema-file.js';
import { readPrivileges } from '../../src/roles/privileges.js';
import { runCli } from '../support/cli.js';
import { configUrl, freshDatabase, query, type ServerName } from '../support/database.js';
import { ensureKamailio } from '../support/kamailio.js';
import { kamdbctlCreate } from '../support/kamdbctl.js';
import { listMigrationFiles, migratedDatabase } from '../support/migrate.js';
import { rowCounts, seedKamdbctlRows } from './seed-kamdbctl.js';

/**
 * A live kamdbctl database (Debian's 5.6.3 scripts in public, kamdbctl's roles and grants, live
 * rows) taken over with the built CLI, as an operator would: db migrate refuses it first; db adopt
 * --dry-run changes nothing; db adopt moves it; a second adopt is a no-op; db migrate then goes
 * on, db check --url finds no drift and the privileges are exactly voipdb's.
 */
const EXPECTED_PRIVILEGES = path.resolve(import.meta.dirname, '../expected/privileges.txt');

describe.each<ServerName>(['pg18', 'pg15'])('db adopt of a kamdbctl 5.6.3 database on %s', (serverName) => {
  let db: ConnectionConfig;
  let url: string;
  let before: Record<string, number>;
  const passwords = { alice: randomBytes(6).toString('hex'), bob: 'b', carol: 'c', dave: randomBytes(6).toString('hex') };
  const env = () => ({ DATABASE_URL: url });

  beforeAll(async () => {
    const install = await ensureKamailio();
    db = await freshDatabase(serverName, 'kam');
    url = configUrl(db);
    await kamdbctlCreate(db, install);
    await seedKamdbctlRows(db, passwords);
    before = await rowCounts(db, 'public');
  }, 300_000);

  it('db migrate and db check --url refuse before writing anything, naming the tables and db adopt', async () => {
    const migrate = await runCli(['migrate'], { env: env() });
    expect(migrate.code, migrate.stderr).toBe(5);
    expect(migrate.stderr).toContain('error[KAMAILIO_NOT_ADOPTED]');
    expect(migrate.stderr).toMatch(/schema public: .*subscriber.*version/);
    expect(migrate.stderr).toContain('db adopt');
    const check = await runCli(['check', '--url', url], { env: {} });
    expect(check.code, check.stderr).toBe(5);
    const schemas = await query<{ nspname: string }>(
      db,
      "SELECT nspname FROM pg_namespace WHERE nspname IN ('kamailio', 'voip', 'voipdb_meta')",
    );
    expect(schemas).toEqual([]);
  });

  it('--dry-run prints the whole plan with its SQL and writes nothing', async () => {
    const dry = await runCli(['adopt', '--dry-run'], { env: env() });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: db adopt would change');
    expect(dry.stdout).toContain('Kamailio scripts: 5.6 or 6.0');
    expect(dry.stdout).toContain('ALTER TABLE public.subscriber SET SCHEMA kamailio;');
    expect(dry.stdout).toContain('CREATE TABLE kamailio.htable');
    expect(dry.stdout).toContain("UPDATE kamailio.version SET table_version = 3 WHERE table_name = 'acc_cdrs';");
    expect(dry.stdout).toContain('REVOKE ALL ON TABLE kamailio.subscriber FROM kamailio, kamailioro;');
    expect(dry.stdout).toContain('DROP FUNCTION public.concat(text, text);');
    expect(dry.stdout).toMatch(/subscribers 3 of 6 become extensions \(2 from ha1\/ha1b, 1 from the plaintext password\)/);
    expect(dry.stdout).toContain('kept subscriber');
    const schemas = await query(db, "SELECT nspname FROM pg_namespace WHERE nspname IN ('kamailio', 'voip', 'voipdb_meta')");
    expect(schemas).toEqual([]);
    expect(await rowCounts(db, 'public')).toEqual(before);
    const alice = await query<{ password: string }>(db, "SELECT password FROM public.subscriber WHERE username = 'alice'");
    expect(alice).toEqual([{ password: passwords.alice }]);
  });

  it('adopts in one run: tables moved with every row and id, subscribers as extensions, 0001-0004 adopted', async () => {
    const ids = await query<{ id: number; username: string }>(db, 'SELECT id, username FROM public.subscriber ORDER BY id');
    const result = await runCli(['adopt', '--json'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as {
      status: string;
      plan: { moved: string[]; created: string[]; subscribers: { converted: number; kept: unknown[] } };
    };
    expect(out.status).toBe('adopted');
    expect(out.plan.moved).toHaveLength(29);
    expect(out.plan.created).toEqual(['htable', 'rtpengine', 'uacreg']);
    expect(out.plan.subscribers.converted).toBe(3);
    expect(out.plan.subscribers.kept).toHaveLength(3);

    expect(await rowCounts(db, 'kamailio')).toEqual({ ...before, version: before.version! + 3 });
    const leftInPublic = await query(db, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace");
    expect(leftInPublic).toEqual([]);
    expect(await query(db, 'SELECT id, username FROM kamailio.subscriber ORDER BY id')).toEqual(ids);
    const subscribers = await query<{ username: string; domain: string; password: string; ha1: string }>(
      db,
      'SELECT username, domain, password, ha1 FROM kamailio.subscriber ORDER BY id',
    );
    // Converted rows lost their plaintext; the rows voipdb cannot manage are exactly as they were.
    expect(subscribers.map((s) => [s.username, s.password === ''])).toEqual([
      ['alice', true],
      ['bob', true],
      ['carol', true],
      ['dave', true],
      ['+4930555', false],
      ['erin', true],
    ]);
    const extensions = await query<{ extension: string; domain: string; ha1: string }>(
      db,
      'SELECT e.extension, d.name AS domain, e.ha1 FROM voip.extensions e JOIN voip.domains d ON d.id = e.domain_id ORDER BY e.id',
    );
    expect(extensions.map((e) => `${e.extension}@${e.domain}`).sort()).toEqual([
      'alice@example.test',
      'bob@example.test',
      'dave@other.test',
    ]);
    const alice = subscribers.find((s) => s.username === 'alice')!;
    expect(extensions.find((e) => e.extension === 'alice')!.ha1).toBe(alice.ha1);
    const history = await query<{ version: number; adopted: boolean; applied_by: string }>(
      db,
      'SELECT version, adopted, applied_by FROM voipdb_meta.migrations ORDER BY version',
    );
    expect(history.filter((h) => h.adopted).map((h) => h.version)).toEqual([1, 2, 3, 4]);
    // Every later migration is applied (not adopted) in the same transaction.
    const files = (await listMigrationFiles()).filter((f) => !f.endsWith('.down.sql')).map((f) => Number(f.slice(0, 4)));
    expect(history.filter((h) => !h.adopted).map((h) => h.version)).toEqual(files.filter((v) => v > 4));
    // The ownership markers of the extension triggers (voip.subscriber_owners, when a migration made it).
    const owners = await query<{ exists: boolean }>(db, "SELECT to_regclass('voip.subscriber_owners') IS NOT NULL AS exists");
    if (owners[0]!.exists) {
      const marked = await query<{ username: string }>(
        db,
        'SELECT s.username FROM voip.subscriber_owners o JOIN kamailio.subscriber s ON s.id = o.subscriber_id ORDER BY 1',
      );
      expect(marked.map((m) => m.username)).toEqual(['alice', 'bob', 'dave']);
    }
    const versions = await query<{ table_version: number }>(db, "SELECT table_version FROM kamailio.version WHERE table_name = 'acc_cdrs'");
    expect(versions).toEqual([{ table_version: 3 }]);
  });

  it('db status says which migrations were adopted', async () => {
    const status = await runCli(['status'], { env: env() });
    expect(status.stdout).toMatch(/adopted 0003_kamailio_schema/);
    expect(status.stdout).toMatch(/applied 0005_voip_core/);
  });

  it('a second adopt is a no-op that says so', async () => {
    const again = await runCli(['adopt'], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to do');
    expect(again.stdout).toContain('already adopted');
  });

  it("db migrate goes on; db check --url finds no drift; the privileges are exactly voipdb's", async () => {
    const migrate = await runCli(['migrate'], { env: env() });
    expect(migrate.code, migrate.stderr).toBe(0);
    if (serverName === 'pg18') {
      // The operator's command (all its checks build scratch databases: run once, on 18).
      const check = await runCli(['check', '--url', url, '--json'], { env: {}, timeoutMs: 180_000 });
      const report = JSON.parse(check.stdout) as { checks: Array<{ name: string; ok: boolean; summary: string; diff?: string }> };
      const live = report.checks.filter((c) => c.name.startsWith('live-'));
      // Every live check passes (whatever checks db check grows), among them the history and drift ones.
      expect(live.filter((c) => !c.ok).map((c) => [c.name, c.diff ?? c.summary])).toEqual([]);
      expect(live.map((c) => c.name)).toEqual(expect.arrayContaining(['live-checksums', 'live-drift']));
    } else {
      // What live-drift compares, without the other checks: the dump equals a database migrated from empty.
      const reference = await migratedDatabase(serverName);
      await query(reference, 'SELECT voip.cdr_ensure_partitions(3)');
      expect(await dumpDatabase(db)).toBe(await dumpDatabase(reference));
    }
    const actual = `${(await withConnection(db, readPrivileges)).join('\n')}\n`;
    expect(actual).toBe(await fs.readFile(EXPECTED_PRIVILEGES, 'utf8'));
  }, 240_000);
});

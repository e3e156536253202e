import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { down } from '../../src/engine/operations.js';
import { describeRoles } from '../../src/roles/describe-roles.js';
import { syncRolePasswords } from '../../src/roles/sync-passwords.js';
import { readPrivileges } from '../../src/roles/privileges.js';
import { adminQuery, freshDatabase, query, server, type ServerName } from '../support/database.js';
import { applyAllMigrations, MIGRATIONS_DIR } from '../support/migrate.js';
import { withRolePasswordLock } from '../support/role-passwords.js';

/**
 * Migration 0002/0004 on a shared server: roles are cluster-wide, so two databases migrated at
 * the same moment and a re-run must all succeed; every role stays least-privileged; PUBLIC can
 * neither connect nor create; kamailio finds its tables through its per-database search_path.
 */
async function loginAs(config: ConnectionConfig, user: string, password: string): Promise<pg.Client> {
  const client = new pg.Client({ ...config, user, password, application_name: 'voipdb-test' });
  await client.connect();
  return client;
}
async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.each<ServerName>(['pg18', 'pg15'])('platform roles on %s', (serverName) => {
  let first: ConnectionConfig;
  let second: ConnectionConfig;
  const password = `pw-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    [first, second] = await Promise.all([freshDatabase(serverName), freshDatabase(serverName)]);
    // Two databases on one server, migrated concurrently: both create-or-find the same roles.
    await Promise.all([applyAllMigrations(first), applyAllMigrations(second)]);
  });

  // Sets the two application roles' passwords for this test, under the server-wide lock.
  const asLoggedInRoles = (fn: () => Promise<void>) =>
    withRolePasswordLock(serverName, async () => {
      await withConnection(first, (c) => syncRolePasswords(c, { VOIPDB_KAMAILIO_PASSWORD: password, VOIPDB_VOIPADMIN_PASSWORD: password }));
      await fn();
    });

  it('re-running migration 0002 on a migrated database changes nothing and does not fail', () =>
    // Under the password lock: no other test may change the roles between the two snapshots.
    withRolePasswordLock(serverName, async () => {
      const sql = await fs.readFile(path.join(MIGRATIONS_DIR, '0002_roles.sql'), 'utf8');
      const before = await rolesState();
      // The snapshot holds both databases' own setting, the one a re-run would rewrite.
      for (const db of [first, second]) expect(JSON.stringify(before)).toContain(`"${db.database}:search_path=kamailio"`);
      await query(first, sql);
      await query(second, sql);
      expect(await rolesState()).toEqual(before);
    }));

  /**
   * What migration 0002 can touch: the platform roles' catalogue rows (every attribute, the
   * stored verifier included), their settings for every database (setdatabase 0) and for the two
   * databases it runs in (it sets search_path IN DATABASE current_database()), and both databases'
   * privileges. Other databases' settings are left out: other test files migrate fresh databases
   * on the same server meanwhile, each adding its own row, which no run of 0002 here can touch.
   */
  async function rolesState(): Promise<unknown> {
    const roles = await adminQuery(
      server(serverName),
      `SELECT a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin, a.rolreplication,
              a.rolbypassrls, a.rolconnlimit, a.rolpassword, a.rolvaliduntil,
              ARRAY(SELECT coalesce(d.datname, '(every database)') || ':' || array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
                      LEFT JOIN pg_database d ON d.oid = s.setdatabase
                     WHERE s.setrole = a.oid AND (s.setdatabase = 0 OR d.datname = ANY($1::text[])) ORDER BY 1) AS settings
         FROM pg_authid a WHERE a.rolname IN ('kamailio', 'voipadmin', 'replicator') ORDER BY a.rolname`,
      [[first.database, second.database]],
    );
    const privileges = await Promise.all([first, second].map((db) => withConnection(db, readPrivileges)));
    return { roles, privileges };
  }

  it('no platform role is superuser, createdb or createrole; replicator is LOGIN REPLICATION', async () => {
    const rows = await adminQuery(
      server(serverName),
      `SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolreplication, rolbypassrls
         FROM pg_roles WHERE rolname IN ('kamailio', 'voipadmin', 'replicator') ORDER BY rolname`,
    );
    // All three alike but for replication, which only replicator has.
    const plain = { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolcanlogin: true, rolbypassrls: false };
    expect(rows).toEqual([
      { rolname: 'kamailio', ...plain, rolreplication: false },
      { rolname: 'replicator', ...plain, rolreplication: true },
      { rolname: 'voipadmin', ...plain, rolreplication: false },
    ]);
  });

  it("sets kamailio's search_path in each database, and kamailio resolves its tables unqualified", () =>
    asLoggedInRoles(async () => {
      for (const db of [first, second]) {
        const [row] = await query<{ setconfig: string[] }>(
          db,
          `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
          WHERE d.datname = current_database() AND s.setrole = 'kamailio'::regrole`,
        );
        expect(row?.setconfig).toEqual(['search_path=kamailio']);
      }
      const kamailio = await loginAs(first, 'kamailio', password);
      try {
        expect((await kamailio.query('SHOW search_path')).rows[0].search_path).toBe('kamailio');
        const { rows } = await kamailio.query<{ table_version: number }>("SELECT table_version FROM version WHERE table_name = 'location'");
        expect(rows).toEqual([{ table_version: 9 }]);
        await kamailio.query("INSERT INTO location (ruid, username, contact) VALUES ('r1', 'u', 'sip:u@h')");
        expect(await sqlState(kamailio.query("UPDATE version SET table_version = 8 WHERE table_name = 'location'"))).toBe('42501');
        expect(await sqlState(kamailio.query("INSERT INTO subscriber (username, domain) VALUES ('x', 'y')"))).toBe('42501');
        expect(await sqlState(kamailio.query('SELECT 1 FROM voip.extensions'))).toBe('42501');
      } finally {
        await kamailio.end();
      }
      expect((await withConnection(first, describeRoles)).find((r) => r.role === 'kamailio')).toMatchObject({
        searchPath: 'kamailio',
        canLogin: 'yes',
        password: 'set',
      });
    }));

  it('voipadmin reads location, manages dispatcher, and cannot touch subscriber', () =>
    asLoggedInRoles(async () => {
      const admin = await loginAs(first, 'voipadmin', password);
      try {
        await admin.query('SELECT * FROM kamailio.location');
        await admin.query("INSERT INTO kamailio.dispatcher (setid, destination) VALUES (1, 'sip:gw1')");
        expect(await sqlState(admin.query('SELECT * FROM kamailio.subscriber'))).toBe('42501');
        expect(await sqlState(admin.query("INSERT INTO kamailio.subscriber (username, domain) VALUES ('x', 'y')"))).toBe('42501');
        expect(await sqlState(admin.query('DELETE FROM kamailio.location'))).toBe('42501');
      } finally {
        await admin.end();
      }
    }));

  it('gives replicator no privilege on any table, sequence, schema or the database', async () => {
    const lines = await withConnection(first, readPrivileges);
    expect(lines.filter((l) => /: replicator /.test(l) || /^role replicator/.test(l))).toEqual([]);
    const [row] = await query<{ n: number }>(
      first,
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('kamailio', 'voip', 'public') AND c.relkind IN ('r', 'p', 'v', 'S')
          AND (has_table_privilege('replicator', c.oid, 'SELECT') OR has_table_privilege('replicator', c.oid, 'INSERT'))`,
    );
    expect(row!.n).toBe(0);
  });

  it('PUBLIC can neither connect to the database nor create in any schema', async () => {
    const outsider = `outsider_${Math.random().toString(36).slice(2, 8)}`;
    await adminQuery(server(serverName), `CREATE ROLE ${outsider} LOGIN PASSWORD '${password}'`);
    try {
      expect(await sqlState(loginAs(first, outsider, password).then((c) => c.end()))).toBe('42501');
      const rows = await query<{ schema: string; can_create: boolean }>(
        first,
        `SELECT s AS schema, has_schema_privilege($1, s, 'CREATE') AS can_create FROM unnest(ARRAY['kamailio', 'voip', 'public']) s`,
        [outsider],
      );
      expect(rows.every((r) => !r.can_create)).toBe(true);
      for (const role of ['kamailio', 'voipadmin', 'replicator']) {
        const [r] = await query<{ n: number }>(
          first,
          `SELECT count(*)::int AS n FROM unnest(ARRAY['kamailio', 'voip', 'public']) s WHERE has_schema_privilege($1, s, 'CREATE')`,
          [role],
        );
        expect(r!.n, role).toBe(0);
      }
    } finally {
      await adminQuery(server(serverName), `DROP ROLE ${outsider}`);
    }
  });

  it('reverting to 0001 revokes CONNECT and search_path in that database only, and keeps the roles', async () => {
    await down(second, { migrationsDir: MIGRATIONS_DIR, to: 1 });
    const [connect] = await query<{ kamailio: boolean; voipadmin: boolean }>(
      second,
      "SELECT has_database_privilege('kamailio', current_database(), 'CONNECT') AS kamailio, has_database_privilege('voipadmin', current_database(), 'CONNECT') AS voipadmin",
    );
    expect(connect).toEqual({ kamailio: false, voipadmin: false });
    const settings = await query(
      second,
      `SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database()`,
    );
    expect(settings).toEqual([]);
    const roles = await query(second, "SELECT rolname FROM pg_roles WHERE rolname IN ('kamailio', 'voipadmin', 'replicator')");
    expect(roles).toHaveLength(3);
    // The other database is untouched.
    const [other] = await query<{ ok: boolean }>(first, "SELECT has_database_privilege('kamailio', current_database(), 'CONNECT') AS ok");
    expect(other!.ok).toBe(true);
  });
});

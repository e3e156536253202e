import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { ConnectionConfig } from '../../src/config/connection.js';
import type { KamailioInstall } from './kamailio.js';

/**
 * A database as Debian's `kamdbctl create` (5.6.3, PostgreSQL, "no" to the presence and extra
 * questions) leaves it, built step by step as its kamdbctl.pgsql does, as the superuser: the two
 * MySQL emulation functions, the STANDARD module scripts of the unpacked package (tables in
 * public, owned by the superuser), the rw and ro roles, and ALL / SELECT grants on every table and
 * its id sequence (none on version_id_seq). The module lists are read from the package's own
 * kamdbctl.base, so the fixture follows the package, not a copy of it. Roles are server-wide: an
 * existing `kamailio` role is kept as it is (kamdbctl warns and goes on), passwords are the
 * caller's business.
 */
export async function kamdbctlCreate(
  db: ConnectionConfig,
  install: KamailioInstall,
  options: { extraModules?: string[] } = {},
): Promise<void> {
  const base = await fs.readFile(path.join(install.root, 'usr/lib/x86_64-linux-gnu/kamailio/kamctl/kamdbctl.base'), 'utf8');
  const list = (name: string): string[] => {
    const match = new RegExp(`${name}=\\$\\{${name}:-'([^']*)'\\}`).exec(base);
    if (!match) throw new Error(`kamdbctl.base of the package has no ${name}`);
    return match[1]!.split(/\s+/).filter(Boolean);
  };
  const standardModules = list('STANDARD_MODULES');
  const standardTables = list('STANDARD_TABLES');
  const client = new pg.Client({ ...db, application_name: 'voipdb-test-kamdbctl' });
  await client.connect();
  try {
    await client.query(`CREATE FUNCTION "concat" (text,text) RETURNS text AS 'SELECT $1 || $2;' LANGUAGE 'sql';
      CREATE FUNCTION "rand" () RETURNS double precision AS 'SELECT random();' LANGUAGE 'sql';`);
    for (const module of [...standardModules, ...(options.extraModules ?? [])]) {
      await client.query(await fs.readFile(path.join(install.postgresScriptsDir, `${module}-create.sql`), 'utf8'));
    }
    await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kamailio') THEN CREATE ROLE kamailio LOGIN; END IF;
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kamailioro') THEN CREATE ROLE kamailioro LOGIN; END IF;
    END $$`);
    const extraTables = options.extraModules?.length ? await tablesCreatedBy(client, standardTables) : [];
    for (const table of [...standardTables, ...extraTables]) {
      await client.query(`GRANT ALL PRIVILEGES ON TABLE ${table} TO kamailio; GRANT SELECT ON TABLE ${table} TO kamailioro;`);
      if (table !== 'version') {
        await client.query(
          `GRANT ALL PRIVILEGES ON TABLE ${table}_id_seq TO kamailio; GRANT SELECT ON TABLE ${table}_id_seq TO kamailioro;`,
        );
      }
    }
  } finally {
    await client.end();
  }
}

async function tablesCreatedBy(client: pg.Client, standard: string[]): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1",
  );
  return rows.map((r) => r.relname).filter((t) => !standard.includes(t));
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { freshDatabase, query, type ServerName } from '../support/database.js';
import { ensureKamailio, type KamailioInstall } from '../support/kamailio.js';
import { migratedDatabase } from '../support/migrate.js';
import { readSchemaCatalog, type SchemaCatalog } from './kamailio-catalog.js';

/**
 * Migration 0003 against Kamailio's own PostgreSQL scripts: Debian bookworm's 5.6.3 scripts are
 * loaded into a scratch schema of a scratch database, and both catalogs must be equal except
 * for the 5.6 -> 6.1 changes listed below by name (our schema follows 6.1.4).
 */
const SHIPPED_MODULES = [
  'standard', // creates the version table: must run first
  'acc',
  'lcr',
  'domain',
  'group',
  'permissions',
  'registrar',
  'usrloc',
  'msilo',
  'alias_db',
  'uri_db',
  'speeddial',
  'avpops',
  'auth_db',
  'pdt',
  'dialog',
  'dispatcher',
  'dialplan',
  'topos',
  'htable',
  'uac',
  'rtpengine',
];

interface KnownDifference {
  name: string;
  /** Rewrites the 5.6.3 catalog into what 6.1.4 has; throws if 5.6.3 is not as documented. */
  apply(reference: SchemaCatalog): void;
}

function column(catalog: SchemaCatalog, table: string, name: string) {
  const found = catalog.tables[table]?.columns.find((c) => c.name === name);
  if (!found) throw new Error(`reference has no column ${table}.${name}`);
  return found;
}
function versionRow(catalog: SchemaCatalog, table: string) {
  const found = catalog.versionRows.find((r) => r.table_name === table);
  if (!found) throw new Error(`reference has no version row for ${table}`);
  return found;
}

const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    // 6.1.0 "acc_cdrs microsecond support": the version went 2 -> 3; no PostgreSQL column changed.
    name: 'acc_cdrs version 2 (5.6) vs 3 (6.1)',
    apply(reference) {
      const row = versionRow(reference, 'acc_cdrs');
      expect(row.table_version).toBe(2);
      row.table_version = 3;
    },
  },
  {
    // 6.0.0 widened htable's key and value without a version bump.
    name: 'htable.key_name varchar(64) (5.6) vs varchar(256) (6.1)',
    apply(reference) {
      const c = column(reference, 'htable', 'key_name');
      expect(c.type).toBe('character varying(64)');
      c.type = 'character varying(256)';
    },
  },
  {
    name: 'htable.key_value varchar(128) (5.6) vs varchar(512) (6.1)',
    apply(reference) {
      const c = column(reference, 'htable', 'key_value');
      expect(c.type).toBe('character varying(128)');
      c.type = 'character varying(512)';
    },
  },
];

async function loadKamailioScripts(config: ConnectionConfig, install: KamailioInstall, schema: string): Promise<void> {
  const client = new pg.Client({ ...config, application_name: 'voipdb-test' });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path = ${schema}`);
    for (const module of SHIPPED_MODULES) {
      const sql = await fs.readFile(path.join(install.postgresScriptsDir, `${module}-create.sql`), 'utf8');
      await client.query(sql);
    }
  } finally {
    await client.end();
  }
}

async function catalogOf(config: ConnectionConfig, schema: string): Promise<SchemaCatalog> {
  const client = new pg.Client({ ...config, application_name: 'voipdb-test' });
  await client.connect();
  try {
    return await readSchemaCatalog(client, schema);
  } finally {
    await client.end();
  }
}

describe.each<ServerName>(['pg18', 'pg15'])('kamailio schema vs Kamailio 5.6.3 scripts on %s', (serverName) => {
  let ours: SchemaCatalog;
  let reference: SchemaCatalog;
  let voipdb: ConnectionConfig;

  beforeAll(async () => {
    const install = await ensureKamailio();
    voipdb = await migratedDatabase(serverName);
    const scratch = await freshDatabase(serverName, 'kamref');
    await loadKamailioScripts(scratch, install, 'kamailio_ref');
    [ours, reference] = await Promise.all([catalogOf(voipdb, 'kamailio'), catalogOf(scratch, 'kamailio_ref')]);
  }, 600_000);

  it('has exactly the tables of the shipped module scripts', () => {
    expect(Object.keys(ours.tables).sort()).toEqual(Object.keys(reference.tables).sort());
    expect(Object.keys(ours.tables)).toHaveLength(32);
  });

  it('equals the reference catalog once the documented 5.6 -> 6.1 differences are applied', () => {
    const expected = structuredClone(reference);
    for (const difference of KNOWN_DIFFERENCES) difference.apply(expected);
    for (const table of Object.keys(expected.tables)) {
      expect(ours.tables[table], `table ${table}`).toEqual(expected.tables[table]);
    }
    expect(ours.sequences).toEqual(expected.sequences);
    expect(ours.versionRows).toEqual(expected.versionRows);
    expect(ours.otherRelations).toEqual([]);
  });

  it('differs from the unpatched reference exactly where documented', () => {
    // Guards the list above: an entry that no longer matches a real difference must go.
    expect(ours.tables.htable).not.toEqual(reference.tables.htable);
    expect(ours.versionRows).not.toEqual(reference.versionRows);
  });

  it('keeps every unique key as a named UNIQUE constraint, ids as serial, not identity', () => {
    for (const [table, t] of Object.entries(ours.tables)) {
      for (const index of t.indexes.filter((i) => i.unique)) {
        expect(index.constraint, `${table}: unique index ${index.name} must back a constraint`).toBe(index.name);
      }
      expect(
        t.columns.every((c) => c.identity === ''),
        table,
      ).toBe(true);
      expect(t.serialSequence, table).toBe(`${table}_id_seq`);
    }
    expect(ours.tables.location!.constraints.map((c) => c.name)).toContain('location_ruid_idx');
  });

  it('has no relation named like a Kamailio table anywhere else in voipdb', async () => {
    const names = Object.keys(ours.tables);
    const clashes = await query(
      voipdb,
      `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = ANY($1::text[]) AND n.nspname <> 'kamailio'`,
      [names],
    );
    expect(clashes).toEqual([]);
  });
});

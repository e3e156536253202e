import { beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { down } from '../../src/engine/operations.js';
import { seedDemo } from '../../src/voip/seed.js';
import { withConnection } from '../../src/database/connect.js';
import { query } from '../support/database.js';
import { MIGRATIONS_DIR, applyAllMigrations, migratedDatabase } from '../support/migrate.js';

/** Every table any Kamailio module script creates (6.1.4 and 5.6, all groups; shared/reference/kamailio-schema.md 1.3). */
const KAMAILIO_TABLE_NAMES = [
  'version',
  'acc',
  'acc_cdrs',
  'missed_calls',
  'lcr_gw',
  'lcr_rule_target',
  'lcr_rule',
  'domain',
  'domain_attrs',
  'grp',
  're_grp',
  'trusted',
  'address',
  'aliases',
  'location',
  'location_attrs',
  'silo',
  'dbaliases',
  'uri',
  'speed_dial',
  'usr_preferences',
  'subscriber',
  'pdt',
  'dialog',
  'dialog_vars',
  'dispatcher',
  'dialplan',
  'topos_d',
  'topos_t',
  'imc_rooms',
  'imc_members',
  'cpl',
  'sip_trace',
  'domainpolicy',
  'carrierroute',
  'carrierfailureroute',
  'carrier_name',
  'domain_name',
  'dr_gateways',
  'dr_rules',
  'dr_gw_lists',
  'dr_groups',
  'userblocklist',
  'globalblocklist',
  'htable',
  'purplemap',
  'uacreg',
  'pl_pipes',
  'mtree',
  'mtrees',
  'sca_subscriptions',
  'mohqcalls',
  'mohqueues',
  'rtpproxy',
  'rtpengine',
  'secfilter',
  'nds_trusted_domains',
  's_cscf',
  's_cscf_capabilities',
  'presentity',
  'active_watchers',
  'watchers',
  'xcap',
  'pua',
  'rls_presentity',
  'rls_watchers',
  'uid_credentials',
  'uid_user_attrs',
  'uid_domain',
  'uid_domain_attrs',
  'uid_global_attrs',
  'uid_uri',
  'uid_uri_attrs',
  'ro_session',
  'dialog_in',
  'dialog_out',
  'pcscf_location',
  'contact',
  'impu',
  'impu_contact',
  'subscriber_scscf',
  'impu_subscriber',
  'matrix',
];

describe('voip schema rules', () => {
  let db: ConnectionConfig;
  beforeAll(async () => {
    db = await migratedDatabase('pg18');
  });

  test('no relation of schema voip (table, view, index, sequence, partition) bears a Kamailio table name', async () => {
    // Partitions too: make some so the check covers them.
    await query(db, `SELECT voip.cdr_ensure_partitions(1)`);
    const rows = await query<{ relname: string }>(db, `SELECT relname FROM pg_class WHERE relnamespace = 'voip'::regnamespace`);
    expect(rows.length).toBeGreaterThan(20);
    const kamailioTables = await query<{ relname: string }>(
      db,
      `SELECT relname FROM pg_class WHERE relnamespace = 'kamailio'::regnamespace AND relkind = 'r'`,
    );
    const forbidden = new Set([...KAMAILIO_TABLE_NAMES, ...kamailioTables.map((r) => r.relname)]);
    expect(rows.map((r) => r.relname).filter((n) => forbidden.has(n))).toEqual([]);
  });

  test('every timestamp column of voip is timestamptz', async () => {
    const rows = await query<{ col: string }>(
      db,
      `SELECT c.relname || '.' || a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'voip'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid IN ('timestamp'::regtype, 'date'::regtype, 'time'::regtype)`,
    );
    expect(rows).toEqual([]);
  });

  test('the functions writing kamailio.subscriber are SECURITY DEFINER with a pinned search_path; no column holds a password', async () => {
    const fns = await query<{ proname: string; prosecdef: boolean; proconfig: string[] | null }>(
      db,
      `SELECT proname, prosecdef, proconfig FROM pg_proc
        WHERE pronamespace = 'voip'::regnamespace AND prosrc LIKE '%kamailio.subscriber%' ORDER BY proname`,
    );
    expect(fns.map((f) => f.proname)).toEqual([
      'domains_sync_subscriber',
      'extensions_sync_subscriber',
      'extensions_truncate_subscriber',
      'subscriber_upsert_owned',
    ]);
    for (const f of fns) {
      expect(f.prosecdef).toBe(true);
      expect(f.proconfig).toContain('search_path=pg_catalog, pg_temp');
    }
    const passwordColumns = await query<{ col: string }>(
      db,
      `SELECT c.relname || '.' || a.attname AS col FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'voip'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND a.attname ~ '(password|secret|pin)$'`,
    );
    expect(passwordColumns).toEqual([]);
  });

  test('0007..0005 revert cleanly (taking their Kamailio credentials along) and apply again', async () => {
    await withConnection(db, (client) => seedDemo(client));
    await down(db, { migrationsDir: MIGRATIONS_DIR, to: 4 });
    const left = await query<{ voip: number; subscribers: number }>(
      db,
      `SELECT (SELECT count(*)::int FROM pg_class WHERE relnamespace = 'voip'::regnamespace) AS voip,
              (SELECT count(*)::int FROM kamailio.subscriber) AS subscribers`,
    );
    expect(left[0]).toEqual({ voip: 0, subscribers: 0 });
    await applyAllMigrations(db);
    const [n] = await query<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM pg_class WHERE relname = 'extensions' AND relnamespace = 'voip'::regnamespace`,
    );
    expect(n!.n).toBe(1);
  });
});

import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { acquireMigrationLock, MIGRATION_LOCK_KEY, releaseMigrationLock } from '../../src/engine/lock.js';
import { syncRolePasswords } from '../../src/roles/sync-passwords.js';
import { PartitionLockBusyError } from '../../src/voip/errors.js';
import { maintainCdrPartitions } from '../../src/voip/partitions.js';
import { query, type ServerName } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';
import { withRolePasswordLock } from '../support/role-passwords.js';

/**
 * PostgreSQL lets every role take any advisory lock and create large objects. In voipdb the
 * platform roles may do neither (migration 0012): an advisory lock on the engine's migration key
 * or on the partition-maintenance key would hold every later `db migrate` or `db partitions`
 * until its --lock-wait ran out, and large objects are disk outside every granted table.
 * No role gets any of these functions back: Kamailio's modules (test/kamailio/kamailio-register.e2e.test.ts
 * runs the real Kamailio against these grants) and the voipdb client call none of them, and
 * voipadmin's partition maintenance goes through SECURITY DEFINER functions, which take the lock
 * as their owner.
 */
const PARTITION_LOCK = "hashtext('voip.cdr partition maintenance')";
const ROLES = ['kamailio', 'voipadmin'] as const;

async function sqlState(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'succeeded';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.each<ServerName>(['pg18', 'pg15'])('advisory locks and large objects in voipdb on %s', (serverName) => {
  let db: ConnectionConfig;
  const password = `pw-${Math.random().toString(36).slice(2)}`;

  beforeAll(async () => {
    db = await migratedDatabase(serverName);
  });

  /** Runs `fn` logged in as each platform role (their passwords set under the server-wide lock). */
  const asEachRole = (fn: (role: (typeof ROLES)[number], client: pg.Client) => Promise<void>) =>
    withRolePasswordLock(serverName, async () => {
      await withConnection(db, (c) => syncRolePasswords(c, { VOIPDB_KAMAILIO_PASSWORD: password, VOIPDB_VOIPADMIN_PASSWORD: password }));
      for (const role of ROLES) {
        const client = new pg.Client({ ...db, user: role, password, application_name: `voipdb-test-${role}` });
        await client.connect();
        try {
          await fn(role, client);
        } finally {
          await client.end();
        }
      }
    });

  it('kamailio and voipadmin can take neither the migration lock nor the partition lock, in any form; the engine takes both at once', () =>
    asEachRole(async (role, client) => {
      const attempts = [
        `SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`,
        `SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY})`,
        `SELECT pg_advisory_lock_shared(${MIGRATION_LOCK_KEY})`,
        `SELECT pg_advisory_lock(${PARTITION_LOCK})`,
        `SELECT pg_try_advisory_xact_lock(${PARTITION_LOCK})`,
        `SELECT pg_advisory_lock((${MIGRATION_LOCK_KEY} >> 32)::int, (${MIGRATION_LOCK_KEY} & 2147483647)::int)`,
      ];
      for (const sql of attempts) expect(`${role}: ${sql}: ${await sqlState(client.query(sql))}`).toBe(`${role}: ${sql}: 42501`);
      await client.query('BEGIN');
      expect(await sqlState(client.query(`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`))).toBe('42501');
      await client.query('ROLLBACK');

      // Nothing is held: the engine's own session takes each lock without waiting.
      await withConnection(db, async (engine) => {
        await acquireMigrationLock(engine, 0);
        await releaseMigrationLock(engine);
        await maintainCdrPartitions(engine, { ahead: 0, lockWaitMs: 0 });
      });
    }));

  it('no platform role may execute any advisory-lock function or large-object creator (the whole catalog, so a new signature shows)', async () => {
    const rows = await query<{ role: string; fn: string }>(
      db,
      `SELECT r.rolname AS role, p.oid::regprocedure::text AS fn
         FROM pg_proc p CROSS JOIN pg_roles r
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname LIKE '%advisory%' OR p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', 'lo_import'))
          AND r.rolname IN ('kamailio', 'voipadmin', 'replicator')
          AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
        ORDER BY 1, 2`,
    );
    expect(rows).toEqual([]);
    const [count] = await query<{ n: number }>(db, "SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE '%advisory%'");
    expect(count!.n).toBeGreaterThanOrEqual(21);
  });

  it('kamailio and voipadmin cannot create large objects', () =>
    asEachRole(async (role, client) => {
      for (const sql of ['SELECT lo_create(0)', 'SELECT lo_creat(-1)', "SELECT lo_from_bytea(0, '\\x00'::bytea)"]) {
        expect(`${role}: ${sql}: ${await sqlState(client.query(sql))}`).toBe(`${role}: ${sql}: 42501`);
      }
    }));

  it('voipadmin still maintains partitions: the SECURITY DEFINER functions take the lock as their owner, for its transaction only', () =>
    asEachRole(async (role, client) => {
      if (role !== 'voipadmin') return;
      await client.query('BEGIN');
      await client.query('SELECT voip.cdr_ensure_partitions(1, now())');
      // While voipadmin's maintenance transaction is open, another maintainer waits, as for any maintainer.
      const busy = await withConnection(db, (engine) =>
        maintainCdrPartitions(engine, { ahead: 0, lockWaitMs: 0 }).catch((e: unknown) => e),
      );
      expect(busy).toBeInstanceOf(PartitionLockBusyError);
      await client.query('COMMIT');
      await withConnection(db, (engine) => maintainCdrPartitions(engine, { ahead: 0, lockWaitMs: 0 }));
    }));
});

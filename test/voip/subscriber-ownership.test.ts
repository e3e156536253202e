import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/operations.js';
import { SubscriberNotOwnedError } from '../../src/client/errors.js';
import { computeDigestHashes } from '../../src/voip/credentials.js';
import { createExtension, kyselyOnConnection, setExtensionPassword } from '../../src/client/index.js';
import { freshDatabase, query } from '../support/database.js';
import { MIGRATIONS_DIR } from '../support/migrate.js';

/**
 * The credential triggers write only the kamailio.subscriber rows provisioning
 * created (or adopted), recorded in voip.subscriber_owners. Writes run as voipadmin.
 */
describe.each(['pg18', 'pg15'] as const)('kamailio.subscriber ownership (%s)', (serverName) => {
  let db: ConnectionConfig;
  let admin: pg.Client;
  const foreignHa1 = computeDigestHashes({ username: 'alice', domain: 'a.test', password: 'alice-own-secret' });

  /** As the migrating user: the subscriber rows and which of them provisioning owns. */
  async function subscribers(): Promise<Array<{ account: string; ha1: string; owned: boolean }>> {
    return query(
      db,
      `SELECT s.username || '@' || s.domain AS account, s.ha1, o.subscriber_id IS NOT NULL AS owned
         FROM kamailio.subscriber s LEFT JOIN voip.subscriber_owners o ON o.subscriber_id = s.id
        ORDER BY 1`,
    );
  }

  beforeAll(async () => {
    db = await freshDatabase(serverName);
    // Before 0009: provisioning has made rows, and another tool (kamctl) has made one of its own.
    await migrate(db, { migrationsDir: MIGRATIONS_DIR, to: 8 });
    admin = new pg.Client(db);
    await admin.connect();
    await admin.query(`INSERT INTO voip.domains (name) VALUES ('a.test')`);
    await createExtension(kyselyOnConnection(admin), { domain: 'a.test', extension: '100', password: 'pw-100' });
    await admin.query(`INSERT INTO kamailio.subscriber (username, domain, ha1, ha1b) VALUES ('alice', 'a.test', $1, $2)`, [
      foreignHa1.ha1,
      foreignHa1.ha1b,
    ]);
    await migrate(db, { migrationsDir: MIGRATIONS_DIR });
    await admin.query('SET ROLE voipadmin');
  });
  afterAll(async () => {
    await admin?.end();
  });

  test('the migration marks the rows provisioning made before it, and only those', async () => {
    expect(await subscribers()).toEqual([
      { account: '100@a.test', ha1: computeDigestHashes({ username: '100', domain: 'a.test', password: 'pw-100' }).ha1, owned: true },
      { account: 'alice@a.test', ha1: foreignHa1.ha1, owned: false },
    ]);
  });

  test('provisioning an extension named like a foreign row is refused with a clear, typed error; nothing changes', async () => {
    const error = await createExtension(kyselyOnConnection(admin), { domain: 'a.test', extension: 'alice', password: 'attacker' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SubscriberNotOwnedError);
    expect(error).toMatchObject({ code: 'SUBSCRIBER_NOT_OWNED', exitCode: 2 });
    expect((error as Error).cause).toMatchObject({
      code: '42501',
      constraint: 'subscriber_owners',
      schema: 'kamailio',
      table: 'subscriber',
    });
    expect((error as Error).message).toMatch(
      /^kamailio.subscriber row alice@a.test \(id \d+\) was not created by provisioning; refusing to take it over$/,
    );
    expect((await subscribers()).find((s) => s.account === 'alice@a.test')).toEqual({
      account: 'alice@a.test',
      ha1: foreignHa1.ha1,
      owned: false,
    });
    expect((await admin.query(`SELECT 1 FROM voip.extensions WHERE extension = 'alice'`)).rows).toEqual([]);
  });

  test('an extension without credentials may share the name, but never writes or deletes the foreign row', async () => {
    await admin.query(`INSERT INTO voip.extensions (domain_id, extension) SELECT id, 'alice' FROM voip.domains WHERE name = 'a.test'`);
    await expect(
      setExtensionPassword(kyselyOnConnection(admin), { domain: 'a.test', extension: 'alice', password: 'attacker' }),
    ).rejects.toMatchObject({ code: 'SUBSCRIBER_NOT_OWNED' });
    await admin.query(`UPDATE voip.domains SET enabled = false WHERE name = 'a.test'`);
    await admin.query(`UPDATE voip.domains SET enabled = true WHERE name = 'a.test'`);
    await admin.query(`DELETE FROM voip.extensions WHERE extension = 'alice'`);
    expect((await subscribers()).find((s) => s.account === 'alice@a.test')).toEqual({
      account: 'alice@a.test',
      ha1: foreignHa1.ha1,
      owned: false,
    });
  });

  test('renaming an extension onto a foreign account is refused as well', async () => {
    const h = computeDigestHashes({ username: 'alice', domain: 'a.test', password: 'x' });
    await expect(
      admin.query(`UPDATE voip.extensions SET extension = 'alice', ha1 = $1, ha1b = $2 WHERE extension = '100'`, [h.ha1, h.ha1b]),
    ).rejects.toMatchObject({ code: '42501', constraint: 'subscriber_owners' });
  });

  test('rows provisioning owns still sync: create, change, disable, enable, delete (the marker goes with the row)', async () => {
    await createExtension(kyselyOnConnection(admin), { domain: 'a.test', extension: '200', password: 'pw-200' });
    expect(await setExtensionPassword(kyselyOnConnection(admin), { domain: 'a.test', extension: '200', password: 'pw-200b' })).toBe(true);
    expect(await setExtensionPassword(kyselyOnConnection(admin), { domain: 'a.test', extension: '100', password: 'pw-100b' })).toBe(true);
    const hash = (u: string, p: string) => computeDigestHashes({ username: u, domain: 'a.test', password: p }).ha1;
    expect(await subscribers()).toEqual([
      { account: '100@a.test', ha1: hash('100', 'pw-100b'), owned: true },
      { account: '200@a.test', ha1: hash('200', 'pw-200b'), owned: true },
      { account: 'alice@a.test', ha1: foreignHa1.ha1, owned: false },
    ]);
    await admin.query(`UPDATE voip.domains SET enabled = false WHERE name = 'a.test'`);
    expect((await subscribers()).map((s) => s.account)).toEqual(['alice@a.test']);
    await admin.query(`UPDATE voip.domains SET enabled = true WHERE name = 'a.test'`);
    expect((await subscribers()).map((s) => `${s.account}:${s.owned}`)).toEqual([
      '100@a.test:true',
      '200@a.test:true',
      'alice@a.test:false',
    ]);
    await admin.query(`DELETE FROM voip.extensions WHERE extension = '200'`);
    expect((await subscribers()).map((s) => s.account)).toEqual(['100@a.test', 'alice@a.test']);
    expect(await query(db, 'SELECT count(*)::int AS n FROM voip.subscriber_owners')).toEqual([{ n: 1 }]);
  });

  test('TRUNCATE removes only the owned rows', async () => {
    await admin.query('RESET ROLE');
    try {
      await admin.query('TRUNCATE voip.extensions CASCADE');
    } finally {
      await admin.query('SET ROLE voipadmin');
    }
    expect((await subscribers()).map((s) => s.account)).toEqual(['alice@a.test']);
  });

  test('voipadmin can neither read nor write the markers itself', async () => {
    await expect(admin.query('SELECT * FROM voip.subscriber_owners')).rejects.toThrow(/permission denied/);
    await expect(admin.query('INSERT INTO voip.subscriber_owners VALUES (1)')).rejects.toThrow(/permission denied/);
  });
});

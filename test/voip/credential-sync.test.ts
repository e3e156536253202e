import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { computeDigestHashes } from '../../src/voip/credentials.js';
import { createExtension, kyselyOnConnection, setExtensionPassword } from '../../src/client/index.js';
import { migratedDatabase } from '../support/migrate.js';

/**
 * Every write to voip.extensions / voip.domains must leave kamailio.subscriber equal to the
 * enabled, credentialed extensions of enabled domains, in the same transaction. The writes run
 * as voipadmin (SET ROLE), which has no privilege on kamailio.subscriber: only the SECURITY
 * DEFINER triggers may write there.
 */
describe.each(['pg18', 'pg15'] as const)('credential sync to kamailio.subscriber (%s)', (serverName) => {
  let db: ConnectionConfig;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await migratedDatabase(serverName);
    admin = new pg.Client(db);
    await admin.connect();
    await admin.query('SET ROLE voipadmin');
    await admin.query(`INSERT INTO voip.domains (name) VALUES ('a.test'), ('b.test')`);
  });
  afterAll(async () => {
    await admin?.end();
  });

  async function subscribers(): Promise<Array<{ username: string; domain: string; password: string; ha1: string; ha1b: string }>> {
    const { rows } = await admin
      .query(
        'RESET ROLE; SELECT username, domain, password, ha1, ha1b FROM kamailio.subscriber ORDER BY domain, username; SET ROLE voipadmin',
      )
      .then((r) => (r as unknown as pg.QueryResult[])[1]!);
    return rows;
  }
  const row = (username: string, domain: string, password: string) => ({
    username,
    domain,
    password: '',
    ...computeDigestHashes({ username, domain, password }),
  });

  test('voipadmin itself cannot touch kamailio.subscriber', async () => {
    await expect(admin.query(`DELETE FROM kamailio.subscriber`)).rejects.toThrow(/permission denied/);
  });

  test('creating an extension creates its subscriber row, with hashes only', async () => {
    await createExtension(kyselyOnConnection(admin), { domain: 'a.test', extension: '100', password: 'pw-100' });
    await createExtension(kyselyOnConnection(admin), { domain: 'a.test', extension: '101', password: 'pw-101' });
    expect(await subscribers()).toEqual([row('100', 'a.test', 'pw-100'), row('101', 'a.test', 'pw-101')]);
  });

  test('changing the password changes the hashes in place (same subscriber id)', async () => {
    const [before] = (
      (await admin.query(`RESET ROLE; SELECT id FROM kamailio.subscriber WHERE username = '100'`)) as unknown as pg.QueryResult[]
    )[1]!.rows;
    await admin.query('SET ROLE voipadmin');
    expect(await setExtensionPassword(kyselyOnConnection(admin), { domain: 'a.test', extension: '100', password: 'new-pw-100' })).toBe(
      true,
    );
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100'), row('101', 'a.test', 'pw-101')]);
    const [after] = (
      (await admin.query(`RESET ROLE; SELECT id FROM kamailio.subscriber WHERE username = '100'`)) as unknown as pg.QueryResult[]
    )[1]!.rows;
    await admin.query('SET ROLE voipadmin');
    expect(after.id).toBe(before.id);
  });

  test('a rolled-back change leaves Kamailio untouched', async () => {
    await admin.query('BEGIN');
    await setExtensionPassword(kyselyOnConnection(admin), { domain: 'a.test', extension: '101', password: 'never-committed' });
    await admin.query('ROLLBACK');
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100'), row('101', 'a.test', 'pw-101')]);
  });

  test('disabling removes the subscriber row; enabling puts it back', async () => {
    await admin.query(`UPDATE voip.extensions SET enabled = false WHERE extension = '101'`);
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100')]);
    await admin.query(`UPDATE voip.extensions SET enabled = true WHERE extension = '101'`);
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100'), row('101', 'a.test', 'pw-101')]);
  });

  test('an update that does not touch credentials leaves the subscriber row alone', async () => {
    const xmin = async () =>
      (
        (await admin.query(`RESET ROLE; SELECT xmin::text FROM kamailio.subscriber WHERE username = '101'`)) as unknown as pg.QueryResult[]
      )[1]!.rows[0].xmin;
    const before = await xmin();
    await admin.query('SET ROLE voipadmin');
    await admin.query(`UPDATE voip.extensions SET display_name = 'Someone' WHERE extension = '101'`);
    expect(await xmin()).toBe(before);
    await admin.query('SET ROLE voipadmin');
  });

  test('renaming an extension without a new password clears its credentials; with one it moves', async () => {
    await admin.query(`UPDATE voip.extensions SET extension = '102' WHERE extension = '101'`);
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100')]);
    const { rows } = await admin.query(`SELECT ha1, ha1b, vm_a1_hash FROM voip.extensions WHERE extension = '102'`);
    expect(rows[0]).toEqual({ ha1: null, ha1b: null, vm_a1_hash: null });

    const h = computeDigestHashes({ username: '103', domain: 'a.test', password: 'pw-103' });
    await admin.query(`UPDATE voip.extensions SET extension = '103', ha1 = $1, ha1b = $2 WHERE extension = '102'`, [h.ha1, h.ha1b]);
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100'), row('103', 'a.test', 'pw-103')]);
  });

  test('deleting an extension deletes its subscriber row', async () => {
    await admin.query(`DELETE FROM voip.extensions WHERE extension = '103'`);
    expect(await subscribers()).toEqual([row('100', 'a.test', 'new-pw-100')]);
  });

  test('renaming the domain drops the old-realm rows; new passwords in the same transaction restore them', async () => {
    await createExtension(kyselyOnConnection(admin), { domain: 'b.test', extension: '200', password: 'pw-200' });
    await admin.query('BEGIN');
    await admin.query(`UPDATE voip.domains SET name = 'c.test' WHERE name = 'a.test'`);
    // Inside the transaction: the old hashes were bound to realm a.test, so nothing may authenticate.
    expect((await subscribers()).map((s) => `${s.username}@${s.domain}`)).toEqual(['200@b.test']);
    expect(await setExtensionPassword(kyselyOnConnection(admin), { domain: 'c.test', extension: '100', password: 'pw-100-c' })).toBe(true);
    await admin.query('COMMIT');
    expect(await subscribers()).toEqual([row('200', 'b.test', 'pw-200'), row('100', 'c.test', 'pw-100-c')]);
  });

  test('disabling a domain removes its users from Kamailio; enabling brings them back', async () => {
    await admin.query(`UPDATE voip.domains SET enabled = false WHERE name = 'c.test'`);
    expect(await subscribers()).toEqual([row('200', 'b.test', 'pw-200')]);
    await admin.query(`UPDATE voip.domains SET enabled = true WHERE name = 'c.test'`);
    expect(await subscribers()).toEqual([row('200', 'b.test', 'pw-200'), row('100', 'c.test', 'pw-100-c')]);
  });

  test('a domain with extensions cannot be deleted out from under them', async () => {
    await expect(admin.query(`DELETE FROM voip.domains WHERE name = 'b.test'`)).rejects.toThrow(/foreign key/);
  });

  test('a bulk insert and a bulk disable are synced set-wise', async () => {
    const numbers = Array.from({ length: 500 }, (_, i) => String(5000 + i));
    const hashes = numbers.map((n) => computeDigestHashes({ username: n, domain: 'b.test', password: `pw-${n}` }));
    await admin.query(
      `INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b)
       SELECT d.id, x.e, x.h1, x.h2 FROM voip.domains d, unnest($1::text[], $2::text[], $3::text[]) AS x(e, h1, h2) WHERE d.name = 'b.test'`,
      [numbers, hashes.map((h) => h.ha1), hashes.map((h) => h.ha1b)],
    );
    expect((await subscribers()).filter((s) => s.domain === 'b.test')).toHaveLength(501);
    expect((await subscribers()).find((s) => s.username === '5123')).toEqual(row('5123', 'b.test', 'pw-5123'));
    await admin.query(`UPDATE voip.extensions SET enabled = false WHERE extension LIKE '5%'`);
    expect(await subscribers()).toEqual([row('200', 'b.test', 'pw-200'), row('100', 'c.test', 'pw-100-c')]);
  });

  test('the directory view answers only enabled users with credentials', async () => {
    const { rows } = await admin.query(`SELECT extension, domain_name, a1_hash FROM voip.directory_users ORDER BY extension`);
    expect(rows).toEqual([
      {
        extension: '100',
        domain_name: 'c.test',
        a1_hash: computeDigestHashes({ username: '100', domain: 'c.test', password: 'pw-100-c' }).ha1,
      },
      {
        extension: '200',
        domain_name: 'b.test',
        a1_hash: computeDigestHashes({ username: '200', domain: 'b.test', password: 'pw-200' }).ha1,
      },
    ]);
  });

  test('TRUNCATE (owner only) removes the credentials of our domains as well', async () => {
    await admin.query('RESET ROLE');
    await admin.query('TRUNCATE voip.extensions CASCADE');
    expect(await subscribers()).toEqual([]);
  });

  test('no plaintext: every stored password column is empty', async () => {
    await admin.query('SET ROLE voipadmin');
    await createExtension(kyselyOnConnection(admin), { domain: 'b.test', extension: '300', password: 'pw-300' });
    expect((await subscribers()).every((s) => s.password === '')).toBe(true);
  });
});

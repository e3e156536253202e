import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/operations.js';
import { rolePasswordsHook } from '../../src/platform/hooks.js';
import { computeDigestHashes } from '../../src/voip/credentials.js';
import { configUrl, freshDatabase, query } from '../support/database.js';
import { ensureKamailio, type KamailioInstall } from '../support/kamailio.js';
import { MIGRATIONS_DIR } from '../support/migrate.js';
import { acquireRolePasswordLock } from '../support/role-passwords.js';
import { type LoopbackKamailio, type RunningKamailio, startLoopbackKamailio } from './sip-runtime.js';

/**
 * Debian's Kamailio 5.6.3 against the migrated voipdb on PostgreSQL 18, logging in as role
 * `kamailio` with the SCRAM password that `db migrate` set from VOIPDB_KAMAILIO_PASSWORD.
 * sipp registers with digest auth: a right password gets 401 then 200 and a location row,
 * a wrong one gets no 200 and no row. Both processes are stopped by pid.
 */
const ha1 = (user: string, realm: string, password: string): string =>
  createHash('md5').update(`${user}:${realm}:${password}`).digest('hex');

describe('Kamailio 5.6.3 registers against voipdb (pg18)', () => {
  let install: KamailioInstall;
  let db: ConnectionConfig;
  let node: LoopbackKamailio | undefined;
  let kamailio: RunningKamailio | undefined;
  let sipPort: number;
  // Generated per run: never in a file of the repository.
  const kamailioPassword = randomBytes(18).toString('base64url');
  const alicePassword = randomBytes(9).toString('hex');
  const bobPassword = randomBytes(9).toString('hex');
  // Extension 2001 exists only in voip.extensions: the triggers put its credentials into
  // kamailio.subscriber, which is what Kamailio authenticates against.
  const voipPassword = randomBytes(9).toString('hex');
  let exitCode: number | null | undefined;
  let log = '';
  // Held from setting the kamailio password until Kamailio has stopped (roles are server-wide).
  let releaseLock: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    install = await ensureKamailio();
    const env = { VOIPDB_KAMAILIO_PASSWORD: kamailioPassword };
    releaseLock = await acquireRolePasswordLock('pg18');
    db = await freshDatabase('pg18');
    // `db migrate` applies the password from the environment after the migrations.
    const migrated = await migrate(db, { migrationsDir: MIGRATIONS_DIR, hooks: [rolePasswordsHook(env)] });
    expect(migrated.hooks).toEqual([{ hook: 'password', changes: ['role kamailio: applied (SCRAM-SHA-256 verifier computed here)'] }]);
    await query(
      db,
      `INSERT INTO kamailio.subscriber (username, domain, ha1) VALUES ('alice', 'example.test', $1), ('bob', 'example.test', $2)`,
      [ha1('alice', 'example.test', alicePassword), ha1('bob', 'example.test', bobPassword)],
    );
    await query(db, `INSERT INTO voip.domains (name) VALUES ('example.test')`);
    const hashes = computeDigestHashes({ username: '2001', domain: 'example.test', password: voipPassword });
    await query(
      db,
      `INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b)
                     SELECT id, '2001', $1, $2 FROM voip.domains WHERE name = 'example.test'`,
      [hashes.ha1, hashes.ha1b],
    );
    await query(db, `INSERT INTO kamailio.domain (domain) VALUES ('example.test') ON CONFLICT DO NOTHING`);
    await query(db, `INSERT INTO kamailio.address (grp, ip_addr, mask, port) VALUES (1, '127.0.0.1', 32, 0)`);
    await query(db, `INSERT INTO kamailio.dispatcher (setid, destination) VALUES (1, 'sip:127.0.0.1:5999')`);
    await query(db, `INSERT INTO kamailio.htable (key_name, key_value) VALUES ('greeting', 'hello')`);

    node = await startLoopbackKamailio(install, configUrl({ ...db, user: 'kamailio', password: kamailioPassword }), { label: 'kamailio' });
    ({ sipPort, kamailio } = node);
  }, 600_000);

  afterAll(async () => {
    await node?.close();
    await releaseLock?.();
  });

  const sipp = (scenario: string, user: string, password: string) => node!.sipp(scenario, user, password);

  it('rejects a wrong password: 401, again 401, never 200', async () => {
    const result = await sipp('register-rejected.xml', 'bob', `${bobPassword}-wrong`);
    expect(result.code, result.output).toBe(0);
  });

  it('accepts the right password: 401 then 200, also for an extension created only through voip', async () => {
    const viaVoip = await sipp('register-ok.xml', '2001', voipPassword);
    expect(viaVoip.code, viaVoip.output).toBe(0);
    const result = await sipp('register-ok.xml', 'alice', alicePassword);
    expect(result.code, result.output).toBe(0);
    // Stop now: with db_mode 2 usrloc writes its cache back on shutdown, so the row is there
    // when stop() resolves (no polling).
    exitCode = await kamailio!.stop();
    log = await kamailio!.readLog();
    const rows = await query<{ username: string; contact: string }>(
      db,
      'SELECT username, contact FROM kamailio.location ORDER BY username',
    );
    expect(rows).toEqual([
      { username: '2001', contact: `sip:2001@127.0.0.1:${viaVoip.localPort}` },
      { username: 'alice', contact: `sip:alice@127.0.0.1:${result.localPort}` },
    ]);
  });

  it('wrote no location row for the rejected subscriber', async () => {
    const rows = await query(db, `SELECT 1 FROM kamailio.location WHERE username = 'bob'`);
    expect(rows).toEqual([]);
  });

  it('ran and stopped without an ERROR in its log, and never logged the database password', () => {
    expect(log).toContain(`udp: 127.0.0.1 [127.0.0.1]:${sipPort}`);
    expect(log).toContain('Thank you for flying kamailio');
    expect(log.split('\n').filter((l) => /ERROR/.test(l))).toEqual([]);
    expect(log).not.toContain(kamailioPassword);
    expect(exitCode).toBe(0);
  });
});

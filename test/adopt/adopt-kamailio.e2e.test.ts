import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptKamailioDatabase } from '../../src/adopt/adopt.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/operations.js';
import { platformHooks } from '../../src/platform/hooks.js';
import { configUrl, freshDatabase, query, type ServerName } from '../support/database.js';
import { ensureKamailio, type KamailioInstall } from '../support/kamailio.js';
import { kamdbctlCreate } from '../support/kamdbctl.js';
import { MIGRATIONS_DIR } from '../support/migrate.js';
import { acquireRolePasswordLock } from '../support/role-passwords.js';
import { type LoopbackKamailio, type RunningKamailio, startLoopbackKamailio } from '../kamailio/sip-runtime.js';
import { seedKamdbctlRows } from './seed-kamdbctl.js';

/**
 * The point of adoption: Debian's Kamailio 5.6.3, logging in as role `kamailio` with the password
 * kamdbctl gave it, keeps authenticating the subscribers that existed before — one whose
 * plaintext password db adopt turned into hashes (and emptied), one kamctl had stored as hashes,
 * one left unmanaged — and permissions and dispatcher still load their rows.
 */
const OPTIONS_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="options">
  <send retrans="500">
    <![CDATA[
      OPTIONS sip:probe@example.test SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:probe@example.test>;tag=[pid]opt[call_number]
      To: <sip:probe@example.test>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
`;

describe.each<ServerName>(['pg18', 'pg15'])('Kamailio 5.6.3 on an adopted kamdbctl database (%s)', (serverName) => {
  let install: KamailioInstall;
  let db: ConnectionConfig;
  let node: LoopbackKamailio | undefined;
  let kamailio: RunningKamailio | undefined;
  let releaseLock: (() => Promise<void>) | undefined;
  // kamdbctl's CREATE USER ... WITH PASSWORD; generated per run.
  const kamailioPassword = randomBytes(18).toString('base64url');
  const passwords = {
    alice: randomBytes(9).toString('hex'),
    bob: randomBytes(9).toString('hex'),
    carol: randomBytes(9).toString('hex'),
    dave: randomBytes(9).toString('hex'),
  };

  beforeAll(async () => {
    install = await ensureKamailio();
    releaseLock = await acquireRolePasswordLock(serverName);
    db = await freshDatabase(serverName, 'kame2e');
    await kamdbctlCreate(db, install);
    await query(db, `ALTER ROLE kamailio PASSWORD '${kamailioPassword}'`);
    await seedKamdbctlRows(db, passwords);
    const adopted = await adoptKamailioDatabase(db, { migrationsDir: MIGRATIONS_DIR });
    expect(adopted.status).toBe('adopted');
    // No VOIPDB_KAMAILIO_PASSWORD: the role keeps the password kamdbctl gave it.
    const migrated = await migrate(db, { migrationsDir: MIGRATIONS_DIR, hooks: platformHooks({}) });
    expect(migrated.hooks.find((h) => h.hook === 'password')?.changes).toEqual([]);

    node = await startLoopbackKamailio(install, configUrl({ ...db, user: 'kamailio', password: kamailioPassword }), {
      label: 'adopt-kamailio',
      routingProbe: true,
      scenarios: { 'options.xml': OPTIONS_SCENARIO },
    });
    kamailio = node.kamailio;
  }, 600_000);

  afterAll(async () => {
    await node?.close();
    await releaseLock?.();
  });

  const sipp = (scenario: string, user: string, password: string) => node!.sipp(scenario, user, password);

  it('permissions and dispatcher loaded their adopted rows', async () => {
    const probe = await sipp('options.xml', 'probe', 'x');
    expect(probe.code, probe.output).toBe(0);
  });

  it('old passwords still register (401 then 200): plaintext turned into hashes, kamctl hashes, an unmanaged row', async () => {
    const before = await query<{ username: string; password: string }>(
      db,
      "SELECT username, password FROM kamailio.subscriber WHERE username IN ('alice', 'bob', 'carol') ORDER BY username",
    );
    expect(before).toEqual([
      { username: 'alice', password: '' },
      { username: 'bob', password: '' },
      { username: 'carol', password: '' },
    ]);
    const wrong = await sipp('register-rejected.xml', 'alice', `${passwords.alice}-wrong`);
    expect(wrong.code, wrong.output).toBe(0);
    const ports: Record<string, number> = {};
    for (const user of ['alice', 'bob', 'carol'] as const) {
      const result = await sipp('register-ok.xml', user, passwords[user]);
      expect(result.code, `${user}: ${result.output}`).toBe(0);
      ports[user] = result.localPort;
    }
    // db_mode 2 writes the cache back on shutdown: the rows are there when stop() resolves.
    const exitCode = await kamailio!.stop();
    const log = await kamailio!.readLog();
    const rows = await query<{ username: string; contact: string }>(
      db,
      "SELECT username, contact FROM kamailio.location WHERE contact LIKE 'sip:%@127.0.0.1:%' ORDER BY username",
    );
    expect(rows).toEqual(['alice', 'bob', 'carol'].map((u) => ({ username: u, contact: `sip:${u}@127.0.0.1:${ports[u]}` })));
    expect(log.split('\n').filter((l) => /ERROR/.test(l))).toEqual([]);
    expect(log).not.toContain(kamailioPassword);
    expect(exitCode).toBe(0);
  });
});

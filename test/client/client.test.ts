import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import type { DB } from '../../src/generated/db.js';
import {
  CdrPartitionMissingError,
  type CdrRow,
  computeDigestHashes,
  createDb,
  ingestCdr,
  ingestCdrs,
  lookupDirectoryUser,
  nodeRole,
  setExtensionPassword,
} from '../../src/index.js';
import { createExtension as createExtensionWith, kyselyOnConnection } from '../../src/client/index.js';
import { configUrl } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';

const cdr = (start: string, uuid = randomUUID()): CdrRow => ({
  uuid,
  startStamp: new Date(start),
  endStamp: new Date(new Date(start).getTime() + 90_000),
  duration: 90,
  billsec: 80,
  leg: 'a',
  direction: 'outbound',
  callerIdNumber: '1001',
  destinationNumber: '+4930123456',
  networkAddr: '192.0.2.10',
  switchname: 'node1',
});

describe.each(['pg18', 'pg15'] as const)('typed client on a primary (%s)', (serverName) => {
  let config: ConnectionConfig;
  let db: Kysely<DB>;
  let admin: pg.Client;

  beforeAll(async () => {
    config = await migratedDatabase(serverName);
    db = createDb(config, { applicationName: 'client-test' });
    admin = new pg.Client(config);
    await admin.connect();
    await admin.query(`INSERT INTO voip.domains (name, params, variables)
      VALUES ('pbx.example.net', '{"dial-string": "{presence_id=\${dialed_user}@\${dialed_domain}}\${sofia_contact(\${dialed_user}@\${dialed_domain})}"}', '{"record_stereo": "true"}')`);
    await createExtensionWith(kyselyOnConnection(admin), {
      domain: 'pbx.example.net',
      extension: '1001',
      password: 'first secret',
      voicemailPin: '4321',
      displayName: 'Alice',
      userContext: 'internal',
      effectiveCallerIdName: 'Alice',
      effectiveCallerIdNumber: '1001',
      accountcode: 'acme',
      tollAllow: ['local', 'domestic'],
      callGroup: 'sales',
      vmMailto: 'alice@example.net',
    });
    await admin.query("UPDATE voip.extensions SET number_alias = '2001', max_registrations = 3 WHERE extension = '1001'");
    await createExtensionWith(kyselyOnConnection(admin), {
      domain: 'pbx.example.net',
      extension: '1002',
      password: 'other',
      enabled: false,
    });
    // Enough rows for the planner to prefer indexes over scanning, as on a real platform.
    await admin.query(`INSERT INTO voip.domains (name) SELECT 'tenant' || g || '.example.net' FROM generate_series(1, 2000) g`);
    await admin.query(`INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b)
      SELECT d.id, (100 + e)::text, md5(d.name || e), md5(e || d.name)
        FROM voip.domains d, generate_series(1, 3) e WHERE d.name LIKE 'tenant%'`);
    await admin.query('ANALYZE voip.domains, voip.extensions');
    await admin.query("SELECT voip.cdr_create_partition('2025-06-01Z'), voip.cdr_create_partition('2025-07-01Z')");
  });
  afterAll(async () => {
    await db?.destroy();
    await admin?.end();
  });

  test('createDb accepts a URL and sets application_name; nodeRole says primary', async () => {
    const viaUrl = createDb(configUrl(config), { applicationName: 'client-test-url' });
    try {
      expect(await nodeRole(viaUrl)).toBe('primary');
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'client-test-url'");
      expect(rows[0].n).toBe(1);
    } finally {
      await viaUrl.destroy();
    }
  });

  test('the directory lookup returns what a mod_xml_curl answer needs', async () => {
    const user = await lookupDirectoryUser(db, { domain: 'PBX.example.net', user: '1001' });
    expect(user).toMatchObject({
      domain: 'pbx.example.net',
      extension: '1001',
      numberAlias: '2001',
      a1Hash: computeDigestHashes({ username: '1001', domain: 'pbx.example.net', password: 'first secret' }).ha1,
      displayName: 'Alice',
      userContext: 'internal',
      effectiveCallerIdName: 'Alice',
      effectiveCallerIdNumber: '1001',
      tollAllow: 'local,domestic',
      accountcode: 'acme',
      callGroup: 'sales',
      maxRegistrations: 3,
      voicemail: {
        enabled: true,
        mailto: 'alice@example.net',
        attachFile: true,
        keepLocalAfterEmail: true,
        a1Hash: computeDigestHashes({ username: '1001', domain: 'pbx.example.net', password: '4321' }).ha1,
      },
      domainVariables: { record_stereo: 'true' },
      params: {},
      variables: {},
    });
    expect(user!.domainParams['dial-string']).toMatch(/sofia_contact/);
    expect(typeof user!.extensionId).toBe('number');
    expect(await lookupDirectoryUser(db, { domain: 'pbx.example.net', user: '2001', key: 'number-alias' })).toMatchObject({
      extension: '1001',
    });
  });

  test('disabled, unknown and wrong-domain users are not found', async () => {
    expect(await lookupDirectoryUser(db, { domain: 'pbx.example.net', user: '1002' })).toBeUndefined();
    expect(await lookupDirectoryUser(db, { domain: 'pbx.example.net', user: '9999' })).toBeUndefined();
    expect(await lookupDirectoryUser(db, { domain: 'tenant1.example.net', user: '1001' })).toBeUndefined();
    expect(await lookupDirectoryUser(db, { domain: 'pbx.example.net', user: '1001', key: 'number-alias' })).toBeUndefined();
  });

  test('the directory lookup is one statement answered through the unique indexes', async () => {
    const statements: { sql: string; parameters: readonly unknown[] }[] = [];
    const logged = createDb(config, {
      log: (event) => {
        if (event.level === 'query') statements.push(event.query);
      },
    });
    try {
      const found = await lookupDirectoryUser(logged, { domain: 'tenant7.example.net', user: '102' });
      expect(found?.a1Hash).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      await logged.destroy();
    }
    expect(statements).toHaveLength(1);
    const { rows } = await admin.query(`EXPLAIN (FORMAT JSON) ${statements[0]!.sql}`, [...statements[0]!.parameters]);
    const plan = JSON.stringify(rows[0]['QUERY PLAN']);
    expect(plan).not.toMatch(/Seq Scan/);
    expect(plan).toMatch(/"Index Name":"extensions_domain_extension_key"/);
    expect(plan).toMatch(/"Index Name":"domains_name_key"/);
  });

  test('a password change is stored as hashes and reaches kamailio.subscriber', async () => {
    expect(await setExtensionPassword(db, { domain: 'pbx.example.net', extension: '1001', password: 'new secret' })).toBe(true);
    const expected = computeDigestHashes({ username: '1001', domain: 'pbx.example.net', password: 'new secret' });
    const subscriber = await db
      .selectFrom('kamailio.subscriber')
      .select(['ha1', 'ha1b', 'password'])
      .where('username', '=', '1001')
      .where('domain', '=', 'pbx.example.net')
      .executeTakeFirstOrThrow();
    expect(subscriber).toEqual({ ha1: expected.ha1, ha1b: expected.ha1b, password: '' });
    expect((await lookupDirectoryUser(db, { domain: 'pbx.example.net', user: '1001' }))?.a1Hash).toBe(expected.ha1);
    expect(await setExtensionPassword(db, { domain: 'pbx.example.net', extension: '4711', password: 'x' })).toBe(false);
  });

  test('CDR ingest is idempotent: the same batch twice stores nothing the second time', async () => {
    const batch = [cdr('2025-06-03T10:00:00.250Z'), cdr('2025-06-30T23:59:59Z'), cdr('2025-07-01T00:00:00Z')];
    expect(await ingestCdrs(db, batch)).toEqual({ inserted: 3, duplicates: 0 });
    expect(await ingestCdrs(db, batch)).toEqual({ inserted: 0, duplicates: 3 });
    // A batch holding a repeat of itself and an old CDR, across chunks of 2 statements.
    const fresh = cdr('2025-07-02T08:00:00Z');
    expect(await ingestCdrs(db, [fresh, batch[0]!, fresh, cdr('2025-07-03T08:00:00Z')], { chunkSize: 2 })).toEqual({
      inserted: 2,
      duplicates: 2,
    });
    expect(await ingestCdr(db, fresh)).toEqual({ inserted: 0, duplicates: 1 });
    const stored = await db
      .selectFrom('voip.cdr')
      .select(['uuid', 'network_addr', 'leg'])
      .where('uuid', 'in', [...batch.map((c) => c.uuid), fresh.uuid])
      .execute();
    expect(stored).toHaveLength(4);
    expect(stored[0]).toMatchObject({ network_addr: '192.0.2.10', leg: 'a' });
  });

  test('CDR ingest stores every field as given: quotes, backslashes, braces, NULL-looking and empty text, ms timestamps', async () => {
    const full: CdrRow = {
      uuid: randomUUID().toUpperCase(),
      startStamp: new Date('2025-06-10T08:00:00.123Z'),
      answerStamp: new Date('2025-06-10T08:00:04.5Z'),
      endStamp: new Date('2025-06-10T08:01:34.999Z'),
      duration: 94,
      billsec: 90,
      leg: 'b',
      direction: 'inbound',
      callUuid: randomUUID(),
      bridgeUuid: randomUUID(),
      originatingLegUuid: randomUUID(),
      domainId: 9_007_199_254_740_991,
      domainName: 'pbx.example.net',
      extensionId: -42,
      accountcode: '',
      callerIdName: 'O\'Brien "The \\ Boss", {x} NULL',
      callerIdNumber: 'NULL',
      destinationNumber: '+49 30 1234',
      context: 'public\ttab\nnewline',
      hangupCause: 'NORMAL_CLEARING',
      hangupCauseQ850: 16,
      sipHangupDisposition: 'send_bye',
      sipCallId: 'a,b}c@192.0.2.1',
      readCodec: 'PCMA',
      writeCodec: 'G722',
      networkAddr: '2001:db8::/32',
      ccQueue: 'support@pbx.example.net',
      ccAgent: 'agent 7',
      ccSide: 'member',
      switchname: 'ünïcode 😀',
      coreUuid: randomUUID(),
    };
    // A parsed post may carry more than a CdrRow: the rest is not sent.
    const withExtra = { ...full, variables: { huge: 'x'.repeat(100_000) } } as CdrRow;
    expect(await ingestCdrs(db, [withExtra, cdr('2025-06-10T09:00:00Z')])).toEqual({ inserted: 2, duplicates: 0 });
    const { rows } = await admin.query(
      `SELECT uuid, start_stamp, answer_stamp, end_stamp, duration, billsec, leg, direction, call_uuid, bridge_uuid,
              originating_leg_uuid, domain_id::text, domain_name, extension_id::text, accountcode, caller_id_name,
              caller_id_number, destination_number, context, hangup_cause, hangup_cause_q850, sip_hangup_disposition,
              sip_call_id, read_codec, write_codec, network_addr::text, cc_queue, cc_agent, cc_side, switchname, core_uuid
         FROM voip.cdr WHERE uuid = $1`,
      [full.uuid],
    );
    expect(rows).toEqual([
      {
        uuid: full.uuid.toLowerCase(),
        start_stamp: full.startStamp,
        answer_stamp: full.answerStamp,
        end_stamp: full.endStamp,
        duration: 94,
        billsec: 90,
        leg: 'b',
        direction: 'inbound',
        call_uuid: full.callUuid,
        bridge_uuid: full.bridgeUuid,
        originating_leg_uuid: full.originatingLegUuid,
        domain_id: '9007199254740991',
        domain_name: full.domainName,
        extension_id: '-42',
        accountcode: '',
        caller_id_name: full.callerIdName,
        caller_id_number: 'NULL',
        destination_number: full.destinationNumber,
        context: full.context,
        hangup_cause: full.hangupCause,
        hangup_cause_q850: 16,
        sip_hangup_disposition: full.sipHangupDisposition,
        sip_call_id: full.sipCallId,
        read_codec: 'PCMA',
        write_codec: 'G722',
        network_addr: '2001:db8::/32',
        cc_queue: full.ccQueue,
        cc_agent: full.ccAgent,
        cc_side: full.ccSide,
        switchname: full.switchname,
        core_uuid: full.coreUuid,
      },
    ]);
    // Fields left out are NULL (or their column's default).
    const { rows: sparse } = await admin.query(
      'SELECT answer_stamp, call_uuid, domain_id, hangup_cause_q850, cc_queue, core_uuid FROM voip.cdr WHERE start_stamp = $1',
      [new Date('2025-06-10T09:00:00Z')],
    );
    expect(sparse).toEqual([
      { answer_stamp: null, call_uuid: null, domain_id: null, hangup_cause_q850: null, cc_queue: null, core_uuid: null },
    ]);
  });

  test('a batch of 1,000 new CDRs goes as one COPY; a stored, repeated or unpartitioned one gives the same answers as small batches', async () => {
    const june = (n: number): CdrRow[] =>
      Array.from({ length: n }, (_, i) => cdr(new Date(Date.UTC(2025, 5, 12, 0, 0, i, i % 1000)).toISOString()));
    const special: CdrRow = {
      ...cdr('2025-06-12T23:00:00.001Z'),
      callerIdName: 'tab\there, newline\nthere, CR\r, backslash \\ and \\N, "quotes"',
      context: '\\N',
      accountcode: '',
      switchname: 'ünïcode 😀',
    };
    const first = [special, ...june(999)];
    expect(await ingestCdrs(db, first)).toEqual({ inserted: 1000, duplicates: 0 });
    const { rows } = await admin.query('SELECT caller_id_name, context, accountcode, switchname, domain_id FROM voip.cdr WHERE uuid = $1', [
      special.uuid,
    ]);
    expect(rows).toEqual([
      { caller_id_name: special.callerIdName, context: '\\N', accountcode: '', switchname: special.switchname, domain_id: null },
    ]);
    // A retried post, a post holding one stored CDR, a post holding one CDR twice.
    expect(await ingestCdrs(db, first)).toEqual({ inserted: 0, duplicates: 1000 });
    const second = june(1000);
    expect(await ingestCdrs(db, [...second, first[500]!])).toEqual({ inserted: 1000, duplicates: 1 });
    const third = june(1000);
    expect(await ingestCdrs(db, [...third, third[0]!])).toEqual({ inserted: 1000, duplicates: 1 });
    // One CDR outside every partition: nothing of the batch is stored, and the error names its month.
    const fourth = [...june(999), cdr('2031-01-15T12:30:00Z')];
    const error = await ingestCdrs(db, fourth).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdrPartitionMissingError);
    expect((error as Error).message).toMatch(/cdr_203101 is missing/);
    const counted = await admin.query('SELECT count(*)::int AS n FROM voip.cdr WHERE uuid = ANY($1::uuid[])', [
      [...first, ...second, ...third, ...fourth].map((c) => c.uuid),
    ]);
    expect(counted.rows[0].n).toBe(3000);
  });

  test('a CDR outside every partition gives CdrPartitionMissingError naming its month; nothing of the batch is stored', async () => {
    const one = await ingestCdr(db, cdr('2024-02-10T08:00:00Z')).catch((e: unknown) => e);
    expect(one).toBeInstanceOf(CdrPartitionMissingError);
    expect((one as Error).message).toMatch(/cdr_202402 is missing/);

    const ok = cdr('2025-06-05T08:00:00Z');
    const batch = [ok, cdr('2025-06-06T08:00:00Z'), cdr('2031-01-15T12:30:00Z')];
    const error = await ingestCdrs(db, batch, { chunkSize: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdrPartitionMissingError);
    expect((error as Error).message).toMatch(/cdr_203101 is missing/);
    expect(((error as Error).cause as { code: string }).code).toBe('23514');
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM voip.cdr WHERE uuid = $1', [ok.uuid]);
    expect(rows[0].n).toBe(0);
    // The typed error comes from createDb itself, also for the service's own queries.
    const own = await db
      .insertInto('voip.cdr')
      .values({
        uuid: randomUUID(),
        start_stamp: new Date('2020-01-01Z'),
        end_stamp: new Date('2020-01-01Z'),
        leg: 'a',
        direction: 'inbound',
      })
      .execute()
      .catch((e: unknown) => e);
    expect(own).toBeInstanceOf(CdrPartitionMissingError);
  });

  test('an idle pooled connection killed by the server neither crashes the process nor breaks the next query', async () => {
    const seen: unknown[] = [];
    const told = createDb(config, { applicationName: 'client-test-kill', onIdleConnectionError: (e) => seen.push(e) });
    // And one without a listener of the service's own: the pool's must hold on its own.
    const silent = createDb(config, { applicationName: 'client-test-kill-silent' });
    try {
      expect(await nodeRole(told)).toBe('primary');
      expect(await nodeRole(silent)).toBe('primary');
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'client-test-kill%'");
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThan(0);
      expect((seen[0] as { code?: string }).code).toBe('57P01');
      expect(await nodeRole(told)).toBe('primary');
      // Its socket's end may not have been read yet when this query starts (then that one query
      // fails, as it would in a service); the pool must recover either way, and an unheard
      // 'error' event would fail this file as an unhandled error.
      await expect.poll(() => nodeRole(silent).catch(() => 'failed'), { timeout: 10_000 }).toBe('primary');
    } finally {
      await told.destroy();
      await silent.destroy();
    }
  });

  test("statementTimeoutMs becomes the sessions' statement_timeout", async () => {
    const bounded = createDb(config, { statementTimeoutMs: 1500 });
    try {
      const row = await bounded
        .selectNoFrom((eb) => eb.fn<string>('current_setting', [eb.val('statement_timeout')]).as('timeout'))
        .executeTakeFirstOrThrow();
      expect(row.timeout).toBe('1500ms');
    } finally {
      await bounded.destroy();
    }
  });

  test('a connection that cannot be made is a ConnectionFailedError without the password', async () => {
    const wrong = createDb({ ...config, password: 'not-the-password-xyz' });
    try {
      const error = await nodeRole(wrong).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('AUTH_FAILED');
      expect(String((error as Error).message)).not.toContain('not-the-password-xyz');
    } finally {
      await wrong.destroy();
    }
  });
});

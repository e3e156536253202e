import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DB } from '../../src/generated/db.js';
import {
  CALLER_ID_NUMBER_MAX_LENGTH,
  createExtension,
  ClientInputInvalidError,
  type CdrRow,
  createDb,
  DESTINATION_NUMBER_MAX_LENGTH,
  ingestCdr,
  ingestCdrs,
  lookupDirectoryUser,
  SIP_CALL_ID_MAX_LENGTH,
  setExtensionPassword,
  setVoicemailPin,
  VoipdbError,
} from '../../src/index.js';
import { query } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';

const cdr = (overrides: Partial<Record<keyof CdrRow, unknown>> = {}): CdrRow =>
  ({
    uuid: randomUUID(),
    startStamp: new Date('2025-06-03T10:00:00Z'),
    endStamp: new Date('2025-06-03T10:01:30Z'),
    duration: 90,
    billsec: 80,
    leg: 'a',
    direction: 'inbound',
    ...overrides,
  }) as CdrRow;

/** The rejection a call gives, asserted to be the client's own error. */
async function rejection(call: Promise<unknown>): Promise<ClientInputInvalidError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClientInputInvalidError);
  expect(error).toBeInstanceOf(VoipdbError);
  return error as ClientInputInvalidError;
}

// Values a JavaScript caller (or JSON off the wire) can pass where the types say otherwise: each
// must end as ClientInputInvalidError naming the field (and the item of a batch), never TypeError.
describe('client input checks (pg18)', () => {
  let db: Kysely<DB>;
  let count: () => Promise<number>;

  beforeAll(async () => {
    const config = await migratedDatabase('pg18');
    db = createDb(config, { applicationName: 'client-input-test' });
    await query(config, "SELECT voip.cdr_create_partition('2025-06-01Z')");
    count = async () => (await query<{ n: number }>(config, 'SELECT count(*)::int AS n FROM voip.cdr'))[0]!.n;
  });
  afterAll(async () => {
    await db?.destroy();
  });

  test('lookupDirectoryUser with domain undefined, a number as user or a bad key', async () => {
    const error = await rejection(lookupDirectoryUser(db, { user: '1001' } as never));
    expect(error.code).toBe('CLIENT_INPUT_INVALID');
    expect(error.field).toBe('domain');
    expect(error.index).toBeUndefined();
    expect(error.message).toBe('lookupDirectoryUser: domain must be a string, got undefined; nothing was written');
    expect((await rejection(lookupDirectoryUser(db, { domain: 'a.test', user: 1001 } as never))).field).toBe('user');
    expect((await rejection(lookupDirectoryUser(db, { domain: 'a.test', user: '1', key: 'alias' } as never))).field).toBe('key');
    expect((await rejection(lookupDirectoryUser(db, undefined as never))).message).toMatch(/input must be an object, got undefined/);
  });

  test('setExtensionPassword for an undefined extension; the password is never echoed', async () => {
    const error = await rejection(setExtensionPassword(db, { domain: 'a.test', password: 'hunter2' } as never));
    expect(error.field).toBe('extension');
    const nullPassword = await rejection(setExtensionPassword(db, { domain: 'a.test', extension: '1001', password: null } as never));
    expect(nullPassword.field).toBe('password');
    expect(`${error.message} ${error.hint}`).not.toContain('hunter2');
  });

  test('a password or PIN with NUL is refused for the reason that holds (SIP and FreeSWITCH end it there), never echoed', async () => {
    const secret = 'hunter\u0000two';
    const calls = [
      setExtensionPassword(db, { domain: 'a.test', extension: '1001', password: secret }),
      createExtension(db, { domain: 'a.test', extension: '1001', password: secret }),
      createExtension(db, { domain: 'a.test', extension: '1001', password: 'p', voicemailPin: '12\u000034' }),
      setVoicemailPin(db, { domain: 'a.test', extension: '1001', pin: '12\u000034' }),
    ];
    const fields = [];
    for (const call of calls) {
      const error = await rejection(call);
      fields.push(error.field);
      // Only digest hashes are stored, so PostgreSQL's text type is not the reason.
      expect(error.message).toMatch(
        / must not contain NUL: SIP phones and FreeSWITCH end a password or PIN at the first NUL, so it could never authenticate; nothing was written$/,
      );
      expect(`${error.message} ${error.hint}`).not.toMatch(/hunter|two|PostgreSQL/);
    }
    expect(fields).toEqual(['password', 'password', 'voicemailPin', 'pin']);
  });

  test('provisioning (createExtension, setVoicemailPin) checks its input and names an unknown domain', async () => {
    expect((await rejection(createExtension(db, { domain: 'a.test', extension: '100' } as never))).field).toBe('password');
    expect((await rejection(createExtension(db, { domain: 'a.test', extension: '1', password: 'p', tollAllow: 'x' } as never))).field).toBe(
      'tollAllow',
    );
    const unknown = await createExtension(db, { domain: 'nowhere.test', extension: '100', password: 'p' }).catch((e: unknown) => e);
    expect((unknown as VoipdbError).code).toBe('VOIP_DOMAIN_NOT_FOUND');
    expect((await rejection(setVoicemailPin(db, { domain: 'a.test', extension: '100', pin: 1234 } as never))).field).toBe('pin');
    expect(await setVoicemailPin(db, { domain: 'a.test', extension: '100', pin: '1234' })).toBe(false);
  });

  test('a batch with a string startStamp and a null uuid names each item and field; nothing of it is written', async () => {
    const batch = [cdr(), cdr({ startStamp: '2025-06-03T10:00:00Z' }), cdr({ uuid: null }), cdr({ endStamp: new Date('nope') })];
    const error = await rejection(ingestCdrs(db, batch));
    expect(error.index).toBe(1);
    expect(error.field).toBe('startStamp');
    expect(error.message).toBe(
      'ingestCdrs: item 1: startStamp must be a valid Date, got string (and 2 more problem(s)); nothing was written',
    );
    expect(error.details()).toEqual([
      '- item 1: startStamp must be a valid Date, got string',
      '- item 2: uuid must be a UUID string, got null',
      '- item 3: endStamp must be a valid Date, got an invalid Date',
    ]);
    expect(await count()).toBe(0);
    const single = await rejection(ingestCdr(db, cdr({ leg: 'c', duration: -1 })));
    expect(single.message).toMatch(/^ingestCdr: duration must be from 0 to 2147483647, got -1 \(and 1 more/);
    expect(single.index).toBeUndefined();
    expect((await rejection(ingestCdrs(db, null as never))).field).toBe('cdrs');
  });

  test('a 3 kB caller-ID number or Call-ID is refused before sending, naming the item; values at the bound are stored', async () => {
    const long = cdr({ sipCallId: 'x'.repeat(3_000) });
    const error = await rejection(ingestCdrs(db, [cdr(), cdr({ callerIdNumber: '1'.repeat(3_000) }), long]));
    expect(error.details()).toEqual([
      `- item 1: callerIdNumber must be at most ${CALLER_ID_NUMBER_MAX_LENGTH} characters, got 3000`,
      `- item 2: sipCallId must be at most ${SIP_CALL_ID_MAX_LENGTH} characters, got 3000`,
    ]);
    expect(await count()).toBe(0);
    // Bounds count characters as PostgreSQL's length() does: 4-byte characters count once.
    const atBound = cdr({
      callerIdNumber: '😀'.repeat(CALLER_ID_NUMBER_MAX_LENGTH),
      destinationNumber: '9'.repeat(DESTINATION_NUMBER_MAX_LENGTH),
      sipCallId: 'c'.repeat(SIP_CALL_ID_MAX_LENGTH),
      networkAddr: '2001:db8::1/64',
    });
    expect(await ingestCdr(db, atBound)).toEqual({ inserted: 1, duplicates: 0 });
    expect((await rejection(ingestCdr(db, cdr({ destinationNumber: '9'.repeat(65) })))).field).toBe('destinationNumber');
    expect((await rejection(ingestCdr(db, cdr({ networkAddr: 'not-an-address' })))).field).toBe('networkAddr');
  });

  test('a Date outside the years 1-9999 or a lone UTF-16 surrogate is refused before sending, naming the item', async () => {
    const before = await count();
    const year10000 = new Date('2025-06-03T10:00:00Z');
    year10000.setUTCFullYear(10_000);
    const error = await rejection(ingestCdrs(db, [cdr(), cdr({ endStamp: year10000 }), cdr({ callerIdName: 'Al\ud800ice' })]));
    expect(error.details()).toEqual([
      '- item 1: endStamp must be a Date in the years 1 to 9999, got the year 10000',
      '- item 2: callerIdName must be well-formed Unicode (it holds a lone UTF-16 surrogate)',
    ]);
    expect(await count()).toBe(before);
    // A whole surrogate pair is one character, stored as it is.
    expect(await ingestCdr(db, cdr({ callerIdName: 'Al😀ice' }))).toEqual({ inserted: 1, duplicates: 0 });
  });

  test("voip.cdr's cross-field CHECKs (times, billsec <= duration) are checked first, naming the item", async () => {
    const before = await count();
    const error = await rejection(
      ingestCdrs(db, [
        cdr(),
        cdr({ endStamp: new Date('2025-06-03T09:59:59Z') }),
        cdr({ answerStamp: new Date('2025-06-03T09:00:00Z') }),
        cdr({ billsec: 91 }),
      ]),
    );
    expect(error.details()).toEqual([
      '- item 1: endStamp must not be before startStamp',
      '- item 2: answerStamp must not be before startStamp',
      '- item 3: billsec must not exceed duration (90), got 91',
    ]);
    expect(await count()).toBe(before);
    // At the bounds the server agrees.
    const edge = cdr({ endStamp: new Date('2025-06-03T10:00:00Z'), answerStamp: new Date('2025-06-03T10:00:00Z'), billsec: 90 });
    expect(await ingestCdr(db, edge)).toEqual({ inserted: 1, duplicates: 0 });
  });

  test('the schema holds the same bounds for every other writer (one constant per bound, migration 0010)', async () => {
    const over = (column: string, length: number) =>
      db
        .insertInto('voip.cdr')
        .values({ ...row(), [column]: 'x'.repeat(length) })
        .execute()
        .then(
          () => 'stored',
          (e: { code?: string; constraint?: string }) => `${e.code} ${e.constraint}`,
        );
    expect(await over('caller_id_number', CALLER_ID_NUMBER_MAX_LENGTH + 1)).toBe('23514 cdr_caller_id_number_length_check');
    expect(await over('destination_number', DESTINATION_NUMBER_MAX_LENGTH + 1)).toBe('23514 cdr_destination_number_length_check');
    expect(await over('sip_call_id', SIP_CALL_ID_MAX_LENGTH + 1)).toBe('23514 cdr_sip_call_id_length_check');
    expect(await over('sip_call_id', SIP_CALL_ID_MAX_LENGTH)).toBe('stored');
  });
});

function row() {
  return {
    uuid: randomUUID(),
    start_stamp: new Date('2025-06-04T10:00:00Z'),
    end_stamp: new Date('2025-06-04T10:00:00Z'),
    leg: 'a',
    direction: 'inbound',
  };
}

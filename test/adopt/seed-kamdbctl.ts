import { createHash } from 'node:crypto';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { query } from '../support/database.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Passwords of the subscribers seeded below (test data only, generated per run by the caller). */
export interface SeedPasswords {
  alice: string;
  bob: string;
  carol: string;
  dave: string;
}

/**
 * Live rows as a running kamdbctl site has them: subscribers with a plaintext password only
 * (alice), with ha1/ha1b only as `kamctl add` stores them (bob), with ha1 only (carol), with all
 * three (dave, in another domain), and two that voipdb cannot manage (a user name starting with
 * '+', an upper-case domain); registrations, dispatcher sets, permissions' address list,
 * accounting rows and a domain.
 */
export async function seedKamdbctlRows(db: ConnectionConfig, p: SeedPasswords): Promise<void> {
  await query(
    db,
    `INSERT INTO public.subscriber (username, domain, password, ha1, ha1b) VALUES
       ('alice', 'example.test', $1, '', ''),
       ('bob', 'example.test', '', $2, $3),
       ('carol', 'example.test', '', $4, ''),
       ('dave', 'other.test', $5, $6, $7),
       ('+4930555', 'example.test', 'plain-kept', '', ''),
       ('erin', 'Example.TEST', '', $8, $9)`,
    [
      p.alice,
      md5(`bob:example.test:${p.bob}`),
      md5(`bob@example.test:example.test:${p.bob}`),
      md5(`carol:example.test:${p.carol}`),
      p.dave,
      md5(`dave:other.test:${p.dave}`),
      md5(`dave@other.test:other.test:${p.dave}`),
      md5('erin:Example.TEST:x'),
      md5('erin@Example.TEST:Example.TEST:x'),
    ],
  );
  await query(
    db,
    `INSERT INTO public.location (ruid, username, domain, contact, expires, user_agent) VALUES
       ('ruid-1', 'alice', NULL, 'sip:alice@192.0.2.10:5060', '2030-01-01 00:00:00', 'phone'),
       ('ruid-2', 'bob', NULL, 'sip:bob@192.0.2.11:5060', '2030-01-01 00:00:00', 'phone'),
       ('ruid-3', 'dave', NULL, 'sip:dave@192.0.2.12:5060', '2030-01-01 00:00:00', 'softphone')`,
  );
  await query(
    db,
    `INSERT INTO public.dispatcher (setid, destination, description) VALUES (1, 'sip:127.0.0.1:5998', 'media-a'), (1, 'sip:127.0.0.1:5999', 'media-b')`,
  );
  await query(
    db,
    `INSERT INTO public.address (grp, ip_addr, mask, port, tag) VALUES (1, '127.0.0.1', 32, 0, 'lo'), (2, '192.0.2.0', 24, 0, 'carrier')`,
  );
  await query(
    db,
    `INSERT INTO public.acc (method, from_tag, to_tag, callid, sip_code, sip_reason, time) VALUES
       ('INVITE', 'f1', 't1', 'call-1@test', '200', 'OK', '2026-01-01 10:00:00'),
       ('BYE', 'f1', 't1', 'call-1@test', '200', 'OK', '2026-01-01 10:05:00')`,
  );
  await query(db, `INSERT INTO public.domain (domain) VALUES ('example.test'), ('other.test')`);
}

/** Row counts of the seeded tables in one schema, to compare before and after. */
export async function rowCounts(db: ConnectionConfig, schema: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['subscriber', 'location', 'dispatcher', 'address', 'acc', 'domain', 'version']) {
    const rows = await query<{ n: string }>(db, `SELECT count(*) AS n FROM ${schema}.${t}`);
    out[t] = Number(rows[0]!.n);
  }
  return out;
}

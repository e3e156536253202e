import type pg from 'pg';
import { computeDigestHashes } from '../voip/credentials.js';

/**
 * How kamailio.subscriber rows become voip.domains / voip.extensions rows. The digest hashes
 * come from ha1/ha1b where both are there, else from the plaintext password (computeDigestHashes,
 * realm = the domain, as voipdb has it everywhere). Inserting the extensions makes the extension
 * triggers upsert the same (username, domain) rows: same id, hashes kept, password emptied.
 * A row that cannot become an extension is left exactly as it is and reported with the reason.
 */
export interface SubscriberRow {
  id: number;
  username: string;
  domain: string;
  password: string;
  ha1: string;
  ha1b: string;
}

export interface ConvertedSubscriber {
  id: number;
  username: string;
  domain: string;
  ha1: string;
  ha1b: string;
  source: 'ha1/ha1b' | 'password';
}

export interface SubscriberConversion {
  total: number;
  converted: ConvertedSubscriber[];
  /** Rows left in kamailio.subscriber unmanaged, with the reason. */
  kept: Array<{ id: number; account: string; reason: string }>;
  domains: string[];
  /** Converted rows whose stored ha1 disagreed with their plaintext password: the stored hashes won (what Kamailio with password_column=ha1 uses). */
  hashesDisagreeingWithPassword: number;
  /** Converted rows that held a plaintext password (emptied by the extension triggers). */
  plaintextEmptied: number;
}

// The rules of voip.domains.name and voip.extensions.extension/ha1 (migration 0005's CHECK
// constraints): a row that breaks them cannot be inserted, so it is kept out beforehand.
const DOMAIN_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const EXTENSION = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const MD5_HEX = /^[0-9a-f]{32}$/;

export async function readSubscribers(client: pg.ClientBase, table: string): Promise<SubscriberRow[]> {
  const { rows } = await client.query<SubscriberRow>(`SELECT id, username, domain, password, ha1, ha1b FROM ${table} ORDER BY id`);
  return rows;
}

export function planSubscriberConversion(rows: readonly SubscriberRow[]): SubscriberConversion {
  const out: SubscriberConversion = {
    total: rows.length,
    converted: [],
    kept: [],
    domains: [],
    hashesDisagreeingWithPassword: 0,
    plaintextEmptied: 0,
  };
  const domains = new Set<string>();
  for (const row of rows) {
    const account = `${row.username}@${row.domain}`;
    const keep = (reason: string) => out.kept.push({ id: row.id, account, reason });
    if (row.domain.length === 0 || row.domain.length > 64 || !DOMAIN_NAME.test(row.domain)) {
      keep('the domain is not a lower-case host name of at most 64 characters (voip.domains.name)');
      continue;
    }
    if (row.username.length > 64 || !EXTENSION.test(row.username)) {
      keep('the user name is not usable as an extension (letters, digits and . _ + -, starting with a letter or digit)');
      continue;
    }
    const fromPassword =
      row.password.length > 0 ? computeDigestHashes({ username: row.username, domain: row.domain, password: row.password }) : undefined;
    let hashes: { ha1: string; ha1b: string; source: ConvertedSubscriber['source'] } | undefined;
    if (MD5_HEX.test(row.ha1) && MD5_HEX.test(row.ha1b)) {
      hashes = { ha1: row.ha1, ha1b: row.ha1b, source: 'ha1/ha1b' };
      if (fromPassword && fromPassword.ha1 !== row.ha1) out.hashesDisagreeingWithPassword += 1;
    } else if (fromPassword) {
      if (row.ha1 !== '' && row.ha1 !== fromPassword.ha1) {
        keep('its ha1 does not match its plaintext password and it has no ha1b: which one Kamailio uses depends on its configuration');
        continue;
      }
      hashes = { ...fromPassword, source: 'password' };
    } else if (row.ha1 !== '' && row.ha1b === '') {
      keep(
        'it has ha1 but no ha1b and no password: voip.extensions keeps both hashes of one password; set a new password through voip.extensions',
      );
      continue;
    } else {
      keep(row.ha1 === '' ? 'it has no credentials (no password, no ha1)' : 'its ha1/ha1b are not lower-case hex MD5 digests');
      continue;
    }
    if (row.password.length > 0) out.plaintextEmptied += 1;
    domains.add(row.domain);
    out.converted.push({
      id: row.id,
      username: row.username,
      domain: row.domain,
      ha1: hashes.ha1,
      ha1b: hashes.ha1b,
      source: hashes.source,
    });
  }
  out.domains = [...domains].sort();
  return out;
}

export const INSERT_DOMAINS_SQL = 'INSERT INTO voip.domains (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING';
// voip.subscriber_owners (when a migration has made it): the rows the extension triggers may
// take over. Marked before the extensions exist, so the triggers accept these rows as theirs.
export const MARK_OWNED_SQL = 'INSERT INTO voip.subscriber_owners (subscriber_id) SELECT unnest($1::integer[]) ON CONFLICT DO NOTHING';
export const INSERT_EXTENSIONS_SQL = `INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b)
SELECT d.id, x.extension, x.ha1, x.ha1b
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(domain, extension, ha1, ha1b)
  JOIN voip.domains d ON d.name = x.domain`;

/** Writes the conversion; returns whether subscriber ownership markers were written. */
export async function applySubscriberConversion(client: pg.ClientBase, plan: SubscriberConversion): Promise<{ ownersMarked: boolean }> {
  if (plan.converted.length === 0) return { ownersMarked: false };
  await client.query(INSERT_DOMAINS_SQL, [plan.domains]);
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('voip.subscriber_owners') IS NOT NULL AS exists");
  const ownersMarked = rows[0]!.exists;
  if (ownersMarked) await client.query(MARK_OWNED_SQL, [plan.converted.map((c) => c.id)]);
  const c = plan.converted;
  const inserted = await client.query(INSERT_EXTENSIONS_SQL, [
    c.map((x) => x.domain),
    c.map((x) => x.username),
    c.map((x) => x.ha1),
    c.map((x) => x.ha1b),
  ]);
  // The triggers must have taken every converted row over: same id, our hashes, no plaintext.
  const { rows: check } = await client.query<{ ok: string }>(
    `SELECT count(*) AS ok FROM kamailio.subscriber s
       JOIN unnest($1::integer[], $2::text[], $3::text[]) AS x(id, ha1, ha1b) ON x.id = s.id
      WHERE s.password = '' AND s.ha1 = x.ha1 AND s.ha1b = x.ha1b`,
    [c.map((x) => x.id), c.map((x) => x.ha1), c.map((x) => x.ha1b)],
  );
  if (inserted.rowCount !== c.length || Number(check[0]!.ok) !== c.length) {
    throw new Error(
      `subscriber conversion did not take every row over (${inserted.rowCount} extensions inserted, ${check[0]!.ok} of ${c.length} subscriber rows hold their hashes without a password); rolled back`,
    );
  }
  return { ownersMarked };
}

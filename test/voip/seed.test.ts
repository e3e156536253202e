import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { UsageError } from '../../src/errors.js';
import { computeDigestHashes } from '../../src/voip/credentials.js';
import { DEMO_DOMAIN, DEMO_EXTENSIONS, SCALE_DOMAIN, scalePassword } from '../../src/voip/demo-data.js';
import { seedDemo, seedScale } from '../../src/voip/seed.js';
import { migratedDatabase } from '../support/migrate.js';

/** Every row (with its xmin, which any UPDATE changes) of every table the seeds write. */
const SEEDED_TABLES = [
  'voip.domains',
  'voip.extensions',
  'voip.queues',
  'voip.queue_agents',
  'voip.queue_tiers',
  'voip.gateways',
  'voip.inbound_numbers',
  'kamailio.subscriber',
  'kamailio.dispatcher',
  'kamailio.address',
];

async function snapshot(client: pg.Client): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of SEEDED_TABLES) {
    // Constant table names from the list above.
    out[table] = (await client.query(`SELECT xmin::text AS xmin, t::text AS row FROM ${table} t ORDER BY t::text`)).rows;
  }
  out.partitions = (
    await client.query(`SELECT relname FROM pg_inherits JOIN pg_class ON oid = inhrelid WHERE inhparent = 'voip.cdr'::regclass ORDER BY 1`)
  ).rows;
  return out;
}

describe('seeds', () => {
  let db: ConnectionConfig;
  let client: pg.Client;

  beforeAll(async () => {
    db = await migratedDatabase('pg18');
    client = new pg.Client(db);
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  test('seedDemo loads the demo set, with Kamailio credentials for the enabled extensions only', async () => {
    const report = await seedDemo(client);
    expect(report).toMatchObject({
      'voip.domains': 1,
      'voip.extensions': 4,
      'voip.queues': 1,
      'voip.queue_agents': 2,
      'voip.queue_tiers': 2,
      'voip.gateways': 1,
      'voip.inbound_numbers': 1,
      'kamailio.dispatcher': 2,
      'kamailio.address': 2,
    });
    const subscribers = (await client.query(`SELECT username, domain, password, ha1, ha1b FROM kamailio.subscriber ORDER BY username`))
      .rows;
    expect(subscribers).toEqual(
      DEMO_EXTENSIONS.filter((x) => x.enabled).map((x) => ({
        username: x.extension,
        domain: DEMO_DOMAIN,
        password: '',
        ...computeDigestHashes({ username: x.extension, domain: DEMO_DOMAIN, password: x.password }),
      })),
    );
    const dispatcher = (await client.query(`SELECT setid, destination FROM kamailio.dispatcher ORDER BY destination`)).rows;
    expect(dispatcher).toEqual([
      { setid: 1, destination: 'sip:172.16.91.101:5080' },
      { setid: 1, destination: 'sip:172.16.91.102:5080' },
    ]);
    const address = (await client.query(`SELECT grp, ip_addr, mask, port FROM kamailio.address ORDER BY ip_addr`)).rows;
    expect(address).toEqual([
      { grp: 1, ip_addr: '172.16.91.101', mask: 32, port: 0 },
      { grp: 1, ip_addr: '172.16.91.102', mask: 32, port: 0 },
    ]);
    const tiers = (
      await client.query(
        `SELECT q.name AS queue, a.name AS agent, t.level, t.position FROM voip.queue_tiers t
         JOIN voip.queues q ON q.id = t.queue_id JOIN voip.queue_agents a ON a.id = t.agent_id ORDER BY t.position`,
      )
    ).rows;
    expect(tiers).toEqual([
      { queue: 'support', agent: 'agent-1002', level: 1, position: 1 },
      { queue: 'support', agent: 'agent-1003', level: 1, position: 2 },
    ]);
    // Voicemail PINs are stored as vm-a1-hash only.
    const vm = (await client.query(`SELECT vm_a1_hash FROM voip.extensions WHERE extension = '1001'`)).rows[0];
    expect(vm.vm_a1_hash).toBe(computeDigestHashes({ username: '1001', domain: DEMO_DOMAIN, password: '1001' }).ha1);
  });

  test('a second seedDemo changes nothing: same rows, same xmin, nothing reported', async () => {
    const before = await snapshot(client);
    const report = await seedDemo(client);
    expect(Object.values(report).every((n) => n === 0)).toBe(true);
    expect(await snapshot(client)).toEqual(before);
  });

  test('seedScale inserts n extensions with credentials in Kamailio, and m CDRs; a re-run adds nothing', async () => {
    const report = await seedScale(client, { extensions: 2000, cdrs: 5000 });
    expect(report.extensionsInserted).toBe(2000);
    expect(report.cdrsInserted).toBe(5000);
    const counts = (
      await client.query(
        `SELECT (SELECT count(*)::int FROM voip.extensions e JOIN voip.domains d ON d.id = e.domain_id WHERE d.name = $1) AS extensions,
              (SELECT count(*)::int FROM kamailio.subscriber WHERE domain = $1) AS subscribers,
              (SELECT count(*)::int FROM voip.cdr WHERE domain_name = $1) AS cdrs`,
        [SCALE_DOMAIN],
      )
    ).rows[0];
    expect(counts).toEqual({ extensions: 2000, subscribers: 2000, cdrs: 5000 });
    // Every subscriber row holds the hashes of its documented password.
    const sample = (
      await client.query(`SELECT username, ha1, ha1b FROM kamailio.subscriber WHERE domain = $1 AND username IN ('200000', '201999')`, [
        SCALE_DOMAIN,
      ])
    ).rows;
    expect(sample).toHaveLength(2);
    for (const s of sample) {
      expect({ ha1: s.ha1, ha1b: s.ha1b }).toEqual(
        computeDigestHashes({ username: s.username, domain: SCALE_DOMAIN, password: scalePassword(s.username) }),
      );
    }
    // The CDRs land in the 90 days before the current UTC month, each in its own month's partition.
    const spread = (
      await client.query(
        `SELECT min(start_stamp) >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '90 days' AS after_start,
              max(start_stamp) < date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS before_anchor,
              count(DISTINCT tableoid) >= 3 AS partitions FROM voip.cdr`,
      )
    ).rows[0];
    expect(spread).toEqual({ after_start: true, before_anchor: true, partitions: true });

    const again = await seedScale(client, { extensions: 2000, cdrs: 5000 });
    expect(again).toMatchObject({ extensionsInserted: 0, cdrsInserted: 0, partitionsCreated: [] });
  });

  test('seedScale refuses nonsense sizes, and CDRs without callers', async () => {
    await expect(seedScale(client, { extensions: -1, cdrs: 0 })).rejects.toThrow(UsageError);
    await client.query('DELETE FROM voip.cdr');
    await client.query('DELETE FROM voip.extensions WHERE domain_id = (SELECT id FROM voip.domains WHERE name = $1)', [SCALE_DOMAIN]);
    await expect(seedScale(client, { extensions: 0, cdrs: 10 })).rejects.toThrow(/needs extensions/);
  });
});

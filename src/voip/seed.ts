import type pg from 'pg';
import { UsageError } from '../errors.js';
import { computeDigestHashes } from './credentials.js';
import {
  DEMO_AGENTS,
  DEMO_DOMAIN,
  DEMO_EXTENSIONS,
  DEMO_GATEWAY,
  DEMO_INBOUND_NUMBER,
  DEMO_QUEUE,
  DISPATCHER_SET,
  FREESWITCH_NODES,
  PERMISSIONS_GROUP,
  SCALE_DOMAIN,
  SCALE_FIRST_EXTENSION,
  scalePassword,
} from './demo-data.js';
import { DEFAULT_PARTITIONS_AHEAD, ensureCdrPartitions } from './partitions.js';
import { requirePrimary } from '../database/node-role.js';
import { inTransaction } from '../database/transaction.js';

/** Rows each table received (0 everywhere on a second run). */
export type SeedReport = Record<string, number>;

/**
 * `db seed`: loads the demo set in one transaction. Idempotent: every insert skips what is
 * there already (ON CONFLICT DO NOTHING, or NOT EXISTS for Kamailio tables, which have no
 * natural unique key), and nothing is updated, so a second run writes no row. It never
 * overwrites what an operator changed either. Kamailio credentials follow from the triggers.
 */
export async function seedDemo(client: pg.ClientBase): Promise<SeedReport> {
  await requirePrimary(client, 'seed the demo data');
  return inTransaction(client, async () => {
    const report: SeedReport = {};
    const count = (table: string, result: pg.QueryResult): void => {
      report[table] = (report[table] ?? 0) + (result.rowCount ?? 0);
    };

    count(
      'voip.domains',
      await client.query(
        `INSERT INTO voip.domains (name, description, params)
       VALUES ($1, 'demo domain (db seed)', $2::jsonb) ON CONFLICT (name) DO NOTHING`,
        [
          DEMO_DOMAIN,
          JSON.stringify({
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a FreeSWITCH channel-variable template, not JavaScript
            'dial-string': '{presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(*/${dialed_user}@${dialed_domain})}',
          }),
        ],
      ),
    );

    for (const x of DEMO_EXTENSIONS) {
      const { ha1, ha1b } = computeDigestHashes({ username: x.extension, domain: DEMO_DOMAIN, password: x.password });
      const vm = computeDigestHashes({ username: x.extension, domain: DEMO_DOMAIN, password: x.voicemailPin }).ha1;
      count(
        'voip.extensions',
        await client.query(
          `INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b, vm_a1_hash, enabled, display_name,
                                      effective_caller_id_name, effective_caller_id_number, toll_allow, accountcode)
         SELECT d.id, $2, $3, $4, $5, $6, $7, $7, $2, $8::text[], 'demo'
           FROM voip.domains d WHERE d.name = $1
         ON CONFLICT (domain_id, extension) DO NOTHING`,
          [DEMO_DOMAIN, x.extension, ha1, ha1b, vm, x.enabled, x.displayName, x.tollAllow],
        ),
      );
    }

    count(
      'voip.queues',
      await client.query(
        `INSERT INTO voip.queues (domain_id, name, strategy, moh_sound, time_base_score)
       SELECT d.id, $2, $3, 'local_stream://moh', 'system' FROM voip.domains d WHERE d.name = $1
       ON CONFLICT (domain_id, name) DO NOTHING`,
        [DEMO_DOMAIN, DEMO_QUEUE.name, DEMO_QUEUE.strategy],
      ),
    );

    for (const a of DEMO_AGENTS) {
      count(
        'voip.queue_agents',
        await client.query(
          `INSERT INTO voip.queue_agents (domain_id, name, extension_id, type, contact, status, max_no_answer, wrap_up_time)
         SELECT d.id, $2, e.id, 'callback', format('[leg_timeout=10]user/%s@%s', e.extension, d.name), 'Available', 3, 10
           FROM voip.domains d JOIN voip.extensions e ON e.domain_id = d.id AND e.extension = $3
          WHERE d.name = $1
         ON CONFLICT (domain_id, name) DO NOTHING`,
          [DEMO_DOMAIN, a.name, a.extension],
        ),
      );
      count(
        'voip.queue_tiers',
        await client.query(
          `INSERT INTO voip.queue_tiers (domain_id, queue_id, agent_id, level, position)
         SELECT d.id, q.id, a.id, $4, $5
           FROM voip.domains d
           JOIN voip.queues q ON q.domain_id = d.id AND q.name = $2
           JOIN voip.queue_agents a ON a.domain_id = d.id AND a.name = $3
          WHERE d.name = $1
         ON CONFLICT (queue_id, agent_id) DO NOTHING`,
          [DEMO_DOMAIN, DEMO_QUEUE.name, a.name, a.level, a.position],
        ),
      );
    }

    count(
      'voip.gateways',
      await client.query(
        `INSERT INTO voip.gateways (name, proxy, register, context, description)
       VALUES ($1, $2, false, $3, 'demo trunk, authenticated by source address (no credentials)')
       ON CONFLICT (name) DO NOTHING`,
        [DEMO_GATEWAY.name, DEMO_GATEWAY.proxy, DEMO_GATEWAY.context],
      ),
    );

    count(
      'voip.inbound_numbers',
      await client.query(
        `INSERT INTO voip.inbound_numbers (domain_id, number, target_type, queue_id, description)
       SELECT d.id, $2, 'queue', q.id, 'demo: the support line'
         FROM voip.domains d JOIN voip.queues q ON q.domain_id = d.id AND q.name = $3
        WHERE d.name = $1
       ON CONFLICT (number) DO NOTHING`,
        [DEMO_DOMAIN, DEMO_INBOUND_NUMBER, DEMO_QUEUE.name],
      ),
    );

    for (const node of FREESWITCH_NODES) {
      count(
        'kamailio.dispatcher',
        await client.query(
          `INSERT INTO kamailio.dispatcher (setid, destination, flags, priority, attrs, description)
         SELECT $1::integer, $2::varchar, 0, 0, '', $3::varchar
          WHERE NOT EXISTS (SELECT 1 FROM kamailio.dispatcher WHERE setid = $1::integer AND destination = $2::varchar)`,
          [DISPATCHER_SET, `sip:${node.address}:${node.port}`, node.name],
        ),
      );
      // Port 0 = any source port: the node may send from another profile's port.
      count(
        'kamailio.address',
        await client.query(
          `INSERT INTO kamailio.address (grp, ip_addr, mask, port, tag)
         SELECT $1::integer, $2::varchar, 32, 0, $3::varchar
          WHERE NOT EXISTS (SELECT 1 FROM kamailio.address WHERE grp = $1::integer AND ip_addr = $2::varchar AND mask = 32 AND port = 0)`,
          [PERMISSIONS_GROUP, node.address, node.name],
        ),
      );
    }

    report['voip.cdr partitions'] = (await ensureCdrPartitions(client, DEFAULT_PARTITIONS_AHEAD)).length;
    return report;
  });
}

export interface ScaleOptions {
  /** Extensions to add to the scale domain (numbered from 200000; password scale-<number>). */
  extensions: number;
  /** CDRs to generate, spread over the 90 days before the current UTC month. */
  cdrs: number;
}

export interface ScaleReport {
  domain: string;
  extensionsInserted: number;
  cdrsInserted: number;
  partitionsCreated: string[];
}

const EXTENSION_BATCH = 20_000;

/**
 * `db seed --scale`: large data sets, fast. Extensions go in batches as arrays unnested
 * server-side (their hashes come from computeDigestHashes, so their Kamailio credentials are in
 * place through the statement-level trigger); CDRs are generated server-side with
 * generate_series. Deterministic keys (extension numbers, CDR uuids from md5) make a re-run in
 * the same month add nothing.
 */
export async function seedScale(client: pg.ClientBase, options: ScaleOptions): Promise<ScaleReport> {
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 0 || value > 100_000_000) {
      throw new UsageError(
        `--${name} must be a whole number between 0 and 100000000, got ${value}`,
        'e.g. --extensions 10000 --cdrs 1000000',
      );
    }
  }
  await requirePrimary(client, 'seed the scale data');
  return inTransaction(client, async () => {
    await client.query(
      `INSERT INTO voip.domains (name, description) VALUES ($1, 'generated by db seed --scale') ON CONFLICT (name) DO NOTHING`,
      [SCALE_DOMAIN],
    );

    let extensionsInserted = 0;
    for (let start = 0; start < options.extensions; start += EXTENSION_BATCH) {
      const numbers: string[] = [];
      const ha1s: string[] = [];
      const ha1bs: string[] = [];
      for (let i = start; i < Math.min(start + EXTENSION_BATCH, options.extensions); i++) {
        const extension = String(SCALE_FIRST_EXTENSION + i);
        const { ha1, ha1b } = computeDigestHashes({ username: extension, domain: SCALE_DOMAIN, password: scalePassword(extension) });
        numbers.push(extension);
        ha1s.push(ha1);
        ha1bs.push(ha1b);
      }
      const result = await client.query(
        `INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b, effective_caller_id_name, effective_caller_id_number)
         SELECT d.id, x.extension, x.ha1, x.ha1b, 'Scale ' || x.extension, x.extension
           FROM voip.domains d, unnest($2::text[], $3::text[], $4::text[]) AS x(extension, ha1, ha1b)
          WHERE d.name = $1
         ON CONFLICT (domain_id, extension) DO NOTHING`,
        [SCALE_DOMAIN, numbers, ha1s, ha1bs],
      );
      extensionsInserted += result.rowCount ?? 0;
    }

    const partitionsCreated: string[] = [];
    let cdrsInserted = 0;
    if (options.cdrs > 0) {
      // Every month the generated range touches, then the usual months ahead.
      const { rows } = await client.query<{ name: string | null }>(
        // UTC wall-clock months, turned back into instants explicitly: an implicit cast would
        // use the session's TimeZone and could name the previous month.
        `SELECT voip.cdr_create_partition(m AT TIME ZONE 'UTC') AS name
           FROM generate_series(date_trunc('month', (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '90 days')),
                                date_trunc('month', now() AT TIME ZONE 'UTC'), interval '1 month') AS m`,
      );
      partitionsCreated.push(...rows.flatMap((r) => (r.name ? [r.name] : [])));
      partitionsCreated.push(...(await ensureCdrPartitions(client, DEFAULT_PARTITIONS_AHEAD)));
      cdrsInserted = await generateCdrs(client, options.cdrs);
    }
    return { domain: SCALE_DOMAIN, extensionsInserted, cdrsInserted, partitionsCreated };
  });
}

/** CDR number g (1..count) of the scale set: a call from extension g mod n, one every 90d/count. */
async function generateCdrs(client: pg.ClientBase, count: number): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM voip.extensions e JOIN voip.domains d ON d.id = e.domain_id WHERE d.name = $1',
    [SCALE_DOMAIN],
  );
  const callers = rows[0]?.n ?? 0;
  if (callers === 0) {
    throw new UsageError('--cdrs needs extensions to place the calls, and the scale domain has none', 'add --extensions <n> (e.g. 1000)');
  }
  // The caller count is a parameter, not a column: `k = g % $3` is then an equality the planner
  // can hash-join on (with a per-row modulus it falls back to a nested loop, n x m comparisons).
  const result = await client.query(
    `WITH anchor AS (
       SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS t
     ), callers AS (
       SELECT e.id, e.extension, d.id AS domain_id, d.name AS domain_name,
              row_number() OVER (ORDER BY e.id) - 1 AS k
         FROM voip.extensions e JOIN voip.domains d ON d.id = e.domain_id
        WHERE d.name = $1
     ), legs AS (
       SELECT g,
              a.t - make_interval(secs => g * (90.0 * 86400 / $2)) AS start_stamp,
              ((g * 37) % 900)::integer AS duration,
              g % 5 <> 0 AS answered
         -- bigint: g * 7919 below passes 2^31 from about 271 000 CDRs on.
         FROM generate_series(1, $2::bigint) AS g, anchor a
     )
     INSERT INTO voip.cdr (uuid, start_stamp, answer_stamp, end_stamp, duration, billsec, leg, direction,
                           call_uuid, domain_id, domain_name, extension_id, accountcode, caller_id_name, caller_id_number,
                           destination_number, context, hangup_cause, hangup_cause_q850, sip_hangup_disposition,
                           sip_call_id, read_codec, write_codec, switchname)
     SELECT md5('voipdb-scale-cdr-' || l.g)::uuid,
            l.start_stamp,
            CASE WHEN l.answered THEN l.start_stamp + make_interval(secs => least(l.duration, 5)) END,
            l.start_stamp + make_interval(secs => l.duration),
            l.duration,
            CASE WHEN l.answered THEN l.duration - least(l.duration, 5) ELSE 0 END,
            'a', 'inbound',
            md5('voipdb-scale-call-' || l.g)::uuid,
            c.domain_id, c.domain_name, c.id, 'scale', 'Scale ' || c.extension, c.extension,
            (10000000 + (l.g * 7919) % 90000000)::text, 'default',
            CASE WHEN l.answered THEN 'NORMAL_CLEARING' ELSE 'NO_ANSWER' END,
            CASE WHEN l.answered THEN 16 ELSE 19 END,
            CASE WHEN l.answered THEN 'recv_bye' ELSE 'send_cancel' END,
            md5('voipdb-scale-sip-' || l.g) || '@' || c.domain_name,
            'PCMA', 'PCMA',
            CASE WHEN l.g % 2 = 0 THEN 'freeswitch-node1' ELSE 'freeswitch-node2' END
       FROM legs l JOIN callers c ON c.k = l.g % $3::bigint
     ON CONFLICT (uuid, start_stamp) DO NOTHING`,
    [SCALE_DOMAIN, count, callers],
  );
  return result.rowCount ?? 0;
}

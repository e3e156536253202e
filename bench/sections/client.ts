import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { directoryLookupSql } from '../../dist/client/directory.js';
import { createDb, ingestCdr, ingestCdrs, lookupDirectoryUser, type CdrRow } from '../../dist/client/index.js';
import { SCALE_DOMAIN, SCALE_FIRST_EXTENSION } from '../../src/voip/demo-data.js';
import type { BenchContext } from '../lib/context.js';
import { copyFrom, copyLine } from '../lib/copy-in.js';
import { figure, perSecond, type Figure } from '../lib/figure.js';
import { median, timeMs } from '../lib/stats.js';
import { opsPerSecond } from '../lib/throughput.js';

const CONCURRENCY = 4;
const WINDOW_MS = 1500;
const BATCH = 5000;
const SINGLES = 1000;

/** The columns COPY fills, in the order of copyRow; the same values ingestCdrs stores. */
const CDR_COLUMNS = [
  'uuid',
  'start_stamp',
  'answer_stamp',
  'end_stamp',
  'duration',
  'billsec',
  'leg',
  'direction',
  'call_uuid',
  'domain_name',
  'accountcode',
  'caller_id_name',
  'caller_id_number',
  'destination_number',
  'context',
  'hangup_cause',
  'hangup_cause_q850',
  'sip_hangup_disposition',
  'sip_call_id',
  'read_codec',
  'write_codec',
  'switchname',
] as const;

/** CDRs of this UTC month (its partition exists after `db migrate`), each with a new uuid. */
export function makeCdrs(count: number): CdrRow[] {
  const now = Date.now();
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
  return Array.from({ length: count }, (_, i) => {
    const start = new Date(monthStart + Math.floor(Math.random() * Math.max(1, now - monthStart - 600_000)));
    const extension = String(SCALE_FIRST_EXTENSION + (i % 1000));
    return {
      uuid: randomUUID(),
      startStamp: start,
      answerStamp: new Date(start.getTime() + 4000),
      endStamp: new Date(start.getTime() + 94_000),
      duration: 94,
      billsec: 90,
      leg: 'a',
      direction: 'inbound',
      callUuid: randomUUID(),
      domainName: SCALE_DOMAIN,
      accountcode: 'bench',
      callerIdName: `Scale ${extension}`,
      callerIdNumber: extension,
      destinationNumber: '4930123456',
      context: 'default',
      hangupCause: 'NORMAL_CLEARING',
      hangupCauseQ850: 16,
      sipHangupDisposition: 'recv_bye',
      sipCallId: `${randomUUID()}@${SCALE_DOMAIN}`,
      readCodec: 'PCMA',
      writeCodec: 'PCMA',
      switchname: 'freeswitch-node1',
    };
  });
}

function copyRow(c: CdrRow): string {
  return copyLine([
    c.uuid,
    c.startStamp,
    c.answerStamp,
    c.endStamp,
    c.duration,
    c.billsec,
    c.leg,
    c.direction,
    c.callUuid,
    c.domainName,
    c.accountcode,
    c.callerIdName,
    c.callerIdNumber,
    c.destinationNumber,
    c.context,
    c.hangupCause,
    c.hangupCauseQ850,
    c.sipHangupDisposition,
    c.sipCallId,
    c.readCodec,
    c.writeCodec,
    c.switchname,
  ]);
}

function rawConfig(ctx: BenchContext, database: string): pg.PoolConfig {
  const c = ctx.config(database);
  return { host: c.host, port: c.port, user: c.user, password: c.password, database, application_name: 'voipdb-bench-raw' };
}

/**
 * 4. The client (src/client, built): the directory lookup against the same SQL through raw pg
 *    (SELECT 1 through the same pool as a note), and CDR ingest (single, batched, replayed) against COPY into the same table.
 *    `database` holds the scale extensions (section 3's voipdb database).
 */
export async function benchClient(ctx: BenchContext, database: string, runs: number): Promise<Figure[]> {
  const db = createDb(ctx.config(database), { maxConnections: CONCURRENCY, applicationName: 'voipdb-bench' });
  const copyClient = new pg.Client(ctx.config(database));
  await copyClient.connect();
  try {
    const pick = (i: number): string => String(SCALE_FIRST_EXTENSION + ((i * 7919) % 100_000));
    const found = await lookupDirectoryUser(db, { domain: SCALE_DOMAIN, user: pick(1) });
    if (!found) throw new Error(`lookupDirectoryUser found no ${pick(1)}@${SCALE_DOMAIN}: the bench database lacks the scale extensions`);

    // The floor: the same SQL text through raw pg, as a named prepared statement, on a pool of
    // the same size at the same concurrency; what remains is the client's own overhead.
    const rawPool = new pg.Pool({ ...rawConfig(ctx, database), max: CONCURRENCY });
    const lookupSql = directoryLookupSql(db, 'extension');
    const lookup = { measured: [] as number[], floor: [] as number[], select1: [] as number[] };
    const lookupOnce = (): Promise<number> =>
      opsPerSecond(CONCURRENCY, WINDOW_MS, (i) => lookupDirectoryUser(db, { domain: SCALE_DOMAIN, user: pick(i) }));
    const rawOnce = (): Promise<number> =>
      opsPerSecond(CONCURRENCY, WINDOW_MS, (i) =>
        rawPool.query({ name: 'bench_directory_lookup', text: lookupSql, values: [SCALE_DOMAIN, pick(i)] }),
      );
    const select1Once = (): Promise<number> => opsPerSecond(CONCURRENCY, WINDOW_MS, () => sql`SELECT 1`.execute(db));
    try {
      await lookupOnce();
      await rawOnce();
      await select1Once();
      for (let i = 0; i < runs; i++) {
        lookup.measured.push(await lookupOnce());
        lookup.floor.push(await rawOnce());
        lookup.select1.push(await select1Once());
      }
    } finally {
      await rawPool.end();
    }

    const copyOnce = async (): Promise<number> => {
      const data = makeCdrs(BATCH).map(copyRow).join('');
      const ms = await timeMs(async () => {
        const rows = await copyFrom(copyClient, `voip.cdr (${CDR_COLUMNS.join(', ')})`, data);
        if (rows !== BATCH) throw new Error(`COPY stored ${rows} CDRs, expected ${BATCH}`);
      });
      return perSecond(BATCH, ms);
    };
    const batch = { measured: [] as number[], replay: [] as number[], single: [] as number[], floor: [] as number[] };
    const batchOnce = async (): Promise<void> => {
      const cdrs = makeCdrs(BATCH);
      let result = { inserted: 0, duplicates: 0 };
      batch.measured.push(
        perSecond(
          BATCH,
          await timeMs(async () => {
            result = await ingestCdrs(db, cdrs);
          }),
        ),
      );
      if (result.inserted !== BATCH) throw new Error(`ingestCdrs stored ${result.inserted} of ${BATCH} new CDRs`);
      batch.replay.push(
        perSecond(
          BATCH,
          await timeMs(async () => {
            result = await ingestCdrs(db, cdrs);
          }),
        ),
      );
      if (result.duplicates !== BATCH) throw new Error(`a replayed batch stored ${result.inserted} CDRs again`);
    };
    const singleOnce = async (): Promise<void> => {
      const cdrs = makeCdrs(SINGLES);
      let next = 0;
      const ms = await timeMs(() =>
        Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < cdrs.length) {
              const result = await ingestCdr(db, cdrs[next++]!);
              if (result.inserted !== 1) throw new Error('ingestCdr did not store a new CDR');
            }
          }),
        ),
      );
      batch.single.push(perSecond(SINGLES, ms));
    };
    await batchOnce();
    await singleOnce();
    await copyOnce();
    batch.measured.length = 0;
    batch.replay.length = 0;
    batch.single.length = 0;
    for (let i = 0; i < runs; i++) {
      await batchOnce();
      await singleOnce();
      batch.floor.push(await copyOnce());
    }
    const copyMedian = median(batch.floor);
    return [
      figure({
        id: '4 directory-lookup',
        what: `lookupDirectoryUser (pool of ${CONCURRENCY}, ${CONCURRENCY} concurrent)`,
        unit: 'ops/s',
        value: median(lookup.measured),
        samples: lookup.measured,
        floorWhat: 'same SQL, raw pg, prepared, same pool',
        floor: median(lookup.floor),
        floorSamples: lookup.floor,
        target: { op: '>=', ratio: 0.9 },
        note: `vs SELECT 1 through the same pool (${Math.round(median(lookup.select1))} ops/s): ${(median(lookup.measured) / median(lookup.select1)).toFixed(2)}`,
      }),
      figure({
        id: '4 cdr-batched',
        what: `ingestCdrs, ${BATCH} new CDRs (default chunks)`,
        unit: 'rows/s',
        value: median(batch.measured),
        samples: batch.measured,
        floorWhat: `COPY ${BATCH} CDRs into voip.cdr`,
        floor: copyMedian,
        floorSamples: batch.floor,
        target: { op: '>=', ratio: 0.5 },
      }),
      figure({
        id: '4 cdr-replayed',
        what: `ingestCdrs, the same ${BATCH} again (all duplicates)`,
        unit: 'rows/s',
        value: median(batch.replay),
        samples: batch.replay,
        floorWhat: `COPY ${BATCH} CDRs into voip.cdr`,
        floor: copyMedian,
        floorSamples: batch.floor,
        target: null,
      }),
      figure({
        id: '4 cdr-single',
        what: `ingestCdr, one per call, ${CONCURRENCY} concurrent`,
        unit: 'rows/s',
        value: median(batch.single),
        samples: batch.single,
        floorWhat: `COPY ${BATCH} CDRs into voip.cdr`,
        floor: copyMedian,
        floorSamples: batch.floor,
        target: null,
      }),
    ];
  } finally {
    await copyClient.end();
    await db.destroy();
  }
}

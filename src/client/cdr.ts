import { sql, type Insertable, type Kysely } from 'kysely';
import { CdrPartitionMissingError, UsageError } from '../errors.js';
import type { DB } from '../generated/db.js';
import type { CdrRow } from '../voip/cdr-row.js';

export type { CdrRow } from '../voip/cdr-row.js';

export interface CdrIngestResult {
  /** CDRs stored by this call. */
  inserted: number;
  /** CDRs whose (uuid, start_stamp) was already stored, or repeated in the same batch (a retried post). */
  duplicates: number;
}

export interface CdrIngestOptions {
  /** Rows per INSERT statement (default 5000, at most 10000). */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 5_000;
const MAX_CHUNK_SIZE = 10_000;

/**
 * Every inserted column with its PostgreSQL type. A chunk is sent as one array per column and
 * unnested on the server (31 parameters per statement, whatever the row count): parsing and
 * binding a VALUES list of 31 parameters per row cost more than the insert itself.
 */
const CDR_COLUMNS = [
  ['uuid', 'uuid'],
  ['start_stamp', 'timestamptz'],
  ['answer_stamp', 'timestamptz'],
  ['end_stamp', 'timestamptz'],
  ['duration', 'integer'],
  ['billsec', 'integer'],
  ['leg', 'char(1)'],
  ['direction', 'text'],
  ['call_uuid', 'uuid'],
  ['bridge_uuid', 'uuid'],
  ['originating_leg_uuid', 'uuid'],
  ['domain_id', 'bigint'],
  ['domain_name', 'text'],
  ['extension_id', 'bigint'],
  ['accountcode', 'text'],
  ['caller_id_name', 'text'],
  ['caller_id_number', 'text'],
  ['destination_number', 'text'],
  ['context', 'text'],
  ['hangup_cause', 'text'],
  ['hangup_cause_q850', 'integer'],
  ['sip_hangup_disposition', 'text'],
  ['sip_call_id', 'text'],
  ['read_codec', 'text'],
  ['write_codec', 'text'],
  ['network_addr', 'inet'],
  ['cc_queue', 'text'],
  ['cc_agent', 'text'],
  ['cc_side', 'text'],
  ['switchname', 'text'],
  ['core_uuid', 'uuid'],
] as const satisfies ReadonlyArray<readonly [keyof CdrInsert, string]>;

/** Stores one CDR idempotently; `inserted` is 0 when it was already there. */
export async function ingestCdr(db: Kysely<DB>, cdr: CdrRow): Promise<CdrIngestResult> {
  return ingestCdrs(db, [cdr]);
}

/**
 * Stores CDRs idempotently: one INSERT ... ON CONFLICT (uuid, start_stamp) DO NOTHING per chunk,
 * all chunks in one transaction (unless `db` is already a transaction, which then decides), so
 * a failure stores nothing and the whole batch can simply be posted again.
 * A CDR outside every partition fails the batch with CdrPartitionMissingError.
 */
export async function ingestCdrs(db: Kysely<DB>, cdrs: readonly CdrRow[], options: CdrIngestOptions = {}): Promise<CdrIngestResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new UsageError(
      `ingestCdrs: chunkSize must be a whole number from 1 to ${MAX_CHUNK_SIZE}, got ${chunkSize}`,
      'leave it out for the default of 500',
    );
  }
  if (cdrs.length === 0) return { inserted: 0, duplicates: 0 };
  // Same key order in every batch: two concurrent posts of overlapping CDRs then wait for each
  // other instead of deadlocking.
  const rows = cdrs.map(toRow).sort(compareKeys);
  const chunks: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += chunkSize) chunks.push(rows.slice(i, i + chunkSize));

  const run = async (executor: Kysely<DB>): Promise<number> => {
    let inserted = 0;
    for (const chunk of chunks) {
      const arrays = CDR_COLUMNS.map(([column, type]) => sql`${sql.val(chunk.map((row) => row[column] ?? null))}::${sql.raw(type)}[]`);
      const result = await executor
        .insertInto('voip.cdr')
        .columns(CDR_COLUMNS.map(([column]) => column))
        .expression(sql`SELECT * FROM unnest(${sql.join(arrays)})`)
        .onConflict((oc) => oc.columns(['uuid', 'start_stamp']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return inserted;
  };
  try {
    const inserted = chunks.length === 1 || db.isTransaction ? await run(db) : await db.transaction().execute(run);
    return { inserted, duplicates: cdrs.length - inserted };
  } catch (error) {
    if (error instanceof CdrPartitionMissingError) throw new CdrPartitionMissingError(failingStart(error, cdrs), error.cause);
    throw error;
  }
}

type CdrInsert = Insertable<DB['voip.cdr']>;

function toRow(c: CdrRow): CdrInsert & { uuid: string; start_stamp: Date } {
  // Every row names every column, so each column becomes one array of the chunk's length.
  return {
    uuid: c.uuid.toLowerCase(),
    start_stamp: c.startStamp,
    answer_stamp: c.answerStamp ?? null,
    end_stamp: c.endStamp,
    duration: c.duration,
    billsec: c.billsec,
    leg: c.leg,
    direction: c.direction,
    call_uuid: c.callUuid ?? null,
    bridge_uuid: c.bridgeUuid ?? null,
    originating_leg_uuid: c.originatingLegUuid ?? null,
    domain_id: c.domainId ?? null,
    domain_name: c.domainName ?? null,
    extension_id: c.extensionId ?? null,
    accountcode: c.accountcode ?? null,
    caller_id_name: c.callerIdName ?? null,
    caller_id_number: c.callerIdNumber ?? null,
    destination_number: c.destinationNumber ?? null,
    context: c.context ?? null,
    hangup_cause: c.hangupCause ?? null,
    hangup_cause_q850: c.hangupCauseQ850 ?? null,
    sip_hangup_disposition: c.sipHangupDisposition ?? null,
    sip_call_id: c.sipCallId ?? null,
    read_codec: c.readCodec ?? null,
    write_codec: c.writeCodec ?? null,
    network_addr: c.networkAddr ?? null,
    cc_queue: c.ccQueue ?? null,
    cc_agent: c.ccAgent ?? null,
    cc_side: c.ccSide ?? null,
    switchname: c.switchname ?? null,
    core_uuid: c.coreUuid ?? null,
  };
}

function compareKeys(a: { uuid: string; start_stamp: Date }, b: { uuid: string; start_stamp: Date }): number {
  if (a.uuid !== b.uuid) return a.uuid < b.uuid ? -1 : 1;
  return a.start_stamp.getTime() - b.start_stamp.getTime();
}

/**
 * Which CDR had no partition, for the error message: the server names the failing row's
 * partition key in DETAIL ("Partition key of the failing row contains (start_stamp) = (...)"),
 * which is matched back to a CDR of the batch; a single CDR needs no matching.
 */
function failingStart(error: CdrPartitionMissingError, cdrs: readonly CdrRow[]): Date | undefined {
  if (cdrs.length === 1) return cdrs[0]!.startStamp;
  const detail = (error.cause as { detail?: unknown } | undefined)?.detail;
  const match =
    typeof detail === 'string' ? /= \((\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?\)/.exec(detail) : null;
  if (!match) return undefined;
  const at = new Date(`${match[1]}T${match[2]}${match[3]}:${match[4] ?? '00'}`).getTime();
  return cdrs.find((c) => c.startStamp.getTime() === at)?.startStamp;
}

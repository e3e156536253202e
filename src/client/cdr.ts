import { isIP } from 'node:net';
import { sql, type Insertable, type Kysely } from 'kysely';
import { CdrPartitionMissingError } from './errors.js';
import { UsageError } from '../errors.js';
import type { DB } from '../generated/db.js';
import type { CdrRow } from '../voip/cdr-row.js';
import { CALLER_ID_NUMBER_MAX_LENGTH, DESTINATION_NUMBER_MAX_LENGTH, SIP_CALL_ID_MAX_LENGTH } from './cdr-limits.js';
import { ClientInputInvalidError, type InputProblem } from './errors.js';
import { type Check, checkFields, kindOf, oneOf, optional, text, uuid, validDate, wholeNumber } from './input-checks.js';

export type { CdrRow } from '../voip/cdr-row.js';

export interface CdrIngestResult {
  /** CDRs stored by this call. */
  inserted: number;
  /** CDRs whose (uuid, start_stamp) was already stored, or repeated in the same batch (a retried post). */
  duplicates: number;
}

export interface CdrIngestOptions {
  /** Rows per INSERT statement (default 5,000, at most 10,000). */
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
  assertValidCdrs('ingestCdr', [cdr], false);
  return ingestCdrs(db, [cdr]);
}

/**
 * Stores CDRs idempotently: one INSERT ... ON CONFLICT (uuid, start_stamp) DO NOTHING per chunk,
 * all chunks in one transaction (unless `db` is already a transaction, which then decides), so
 * a failure stores nothing and the whole batch can simply be posted again.
 * A CDR outside every partition fails the batch with CdrPartitionMissingError; a CDR holding a
 * wrong value (a string for a Date, a null uuid, a caller-ID number past its bound) fails it
 * before anything is sent with ClientInputInvalidError, naming the item's index and field.
 */
export async function ingestCdrs(db: Kysely<DB>, cdrs: readonly CdrRow[], options: CdrIngestOptions = {}): Promise<CdrIngestResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new UsageError(
      `ingestCdrs: chunkSize must be a whole number from 1 to ${MAX_CHUNK_SIZE}, got ${chunkSize}`,
      `leave it out for the default of ${DEFAULT_CHUNK_SIZE}`,
    );
  }
  assertValidCdrs('ingestCdrs', cdrs, true);
  if (cdrs.length === 0) return { inserted: 0, duplicates: 0 };
  // Same key order in every batch: two concurrent posts of overlapping CDRs then wait for each
  // other instead of deadlocking.
  const rows = cdrs.map(toRow).sort(compareKeys);
  const chunks: (typeof rows)[] = [];
  for (let i = 0; i < rows.length; i += chunkSize) chunks.push(rows.slice(i, i + chunkSize));

  const run = async (executor: Kysely<DB>): Promise<number> => {
    let inserted = 0;
    for (const chunk of chunks) {
      const arrays = CDR_COLUMNS.map(([column, type]) => {
        const values = chunk.map((row) => row[column] ?? null);
        return sql`${sql.val(type === 'timestamptz' ? values.map(wireTimestamp) : values)}::${sql.raw(type)}[]`;
      });
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

/** What each CdrRow field takes; the bounds are the CHECK constraints of voip.cdr. */
const CDR_CHECKS: Readonly<Record<keyof CdrRow, Check>> = {
  uuid,
  startStamp: validDate,
  answerStamp: optional(validDate),
  endStamp: validDate,
  duration: wholeNumber(0),
  billsec: wholeNumber(0),
  leg: oneOf(['a', 'b']),
  direction: oneOf(['inbound', 'outbound']),
  callUuid: optional(uuid),
  bridgeUuid: optional(uuid),
  originatingLegUuid: optional(uuid),
  domainId: optional(wholeNumber(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
  domainName: optional(text()),
  extensionId: optional(wholeNumber(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
  accountcode: optional(text()),
  callerIdName: optional(text()),
  callerIdNumber: optional(text(CALLER_ID_NUMBER_MAX_LENGTH)),
  destinationNumber: optional(text(DESTINATION_NUMBER_MAX_LENGTH)),
  context: optional(text()),
  hangupCause: optional(text()),
  hangupCauseQ850: optional(wholeNumber(0, 32_767)),
  sipHangupDisposition: optional(text()),
  sipCallId: optional(text(SIP_CALL_ID_MAX_LENGTH)),
  readCodec: optional(text()),
  writeCodec: optional(text()),
  networkAddr: optional(inetAddress),
  ccQueue: optional(text()),
  ccAgent: optional(text()),
  ccSide: optional(text()),
  switchname: optional(text()),
  coreUuid: optional(uuid),
};

/** Problems listed at most, so a batch of 5,000 bad rows does not make a 5,000-line error. */
const MAX_LISTED_PROBLEMS = 20;

/**
 * Refuses the whole batch before anything is sent when any CDR holds a value the types rule out
 * or voip.cdr would refuse for its length: the error names each item by its index and field.
 */
function assertValidCdrs(operation: string, cdrs: readonly CdrRow[], batch: boolean): void {
  if (!Array.isArray(cdrs)) {
    throw new ClientInputInvalidError(operation, [{ field: 'cdrs', problem: `must be an array of CDRs, got ${kindOf(cdrs)}` }]);
  }
  const problems: InputProblem[] = [];
  for (let i = 0; i < cdrs.length && problems.length < MAX_LISTED_PROBLEMS; i++) {
    checkFields(cdrs[i], CDR_CHECKS, problems, batch ? i : undefined);
  }
  if (problems.length > 0) throw new ClientInputInvalidError(operation, problems);
}

/** An inet value: an IPv4 or IPv6 address, optionally with a /prefix. */
function inetAddress(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be an IP address string, got ${kindOf(value)}`;
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
  return family !== 0 && prefixOk && extra === undefined ? undefined : 'must be an IPv4 or IPv6 address';
}

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

/**
 * A timestamp as the array parameter carries it: the native ISO form (UTC, milliseconds) costs a
 * fraction of pg's own Date formatting, which builds the local-time text field by field, for
 * three columns of every CDR. Years outside 1-9999, which ISO cannot say as PostgreSQL reads
 * it, are left to pg (and then fail as a missing partition, as before).
 */
function wireTimestamp(value: unknown): unknown {
  if (!(value instanceof Date)) return value;
  const year = value.getUTCFullYear();
  return year >= 1 && year <= 9999 ? value.toISOString() : value;
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

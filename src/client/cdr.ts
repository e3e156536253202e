import { isIP } from 'node:net';
import { sql, type Insertable, type Kysely } from 'kysely';
import { CdrPartitionMissingError } from './errors.js';
import { UsageError, VoipdbError } from '../errors.js';
import { copyTextField } from '../database/copy-from.js';
import { copyDirect, hasDirectPool } from './direct-pool.js';
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
  /** Rows per INSERT statement (default 5,000, at most 10,000); a batch sent as one COPY is not split. */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 5_000;
const MAX_CHUNK_SIZE = 10_000;

/**
 * Every inserted column with its PostgreSQL type and the CdrRow field it comes from. A chunk is
 * sent as one JSON parameter, the CdrRows as JSON.stringify writes them, and turned into rows on
 * the server by json_to_recordset with these fields as its column list: one parameter per
 * statement whatever the row count, one parse. JSON.stringify is native and a fraction of
 * building 31 array parameters in JavaScript (which cost as much as the server's COPY of the
 * same rows), and the server reads the JSON about as fast as it reads 31 arrays.
 */
const CDR_COLUMNS = [
  ['uuid', 'uuid', 'uuid'],
  ['start_stamp', 'timestamptz', 'startStamp'],
  ['answer_stamp', 'timestamptz', 'answerStamp'],
  ['end_stamp', 'timestamptz', 'endStamp'],
  ['duration', 'integer', 'duration'],
  ['billsec', 'integer', 'billsec'],
  ['leg', 'char(1)', 'leg'],
  ['direction', 'text', 'direction'],
  ['call_uuid', 'uuid', 'callUuid'],
  ['bridge_uuid', 'uuid', 'bridgeUuid'],
  ['originating_leg_uuid', 'uuid', 'originatingLegUuid'],
  ['domain_id', 'bigint', 'domainId'],
  ['domain_name', 'text', 'domainName'],
  ['extension_id', 'bigint', 'extensionId'],
  ['accountcode', 'text', 'accountcode'],
  ['caller_id_name', 'text', 'callerIdName'],
  ['caller_id_number', 'text', 'callerIdNumber'],
  ['destination_number', 'text', 'destinationNumber'],
  ['context', 'text', 'context'],
  ['hangup_cause', 'text', 'hangupCause'],
  ['hangup_cause_q850', 'integer', 'hangupCauseQ850'],
  ['sip_hangup_disposition', 'text', 'sipHangupDisposition'],
  ['sip_call_id', 'text', 'sipCallId'],
  ['read_codec', 'text', 'readCodec'],
  ['write_codec', 'text', 'writeCodec'],
  ['network_addr', 'inet', 'networkAddr'],
  ['cc_queue', 'text', 'ccQueue'],
  ['cc_agent', 'text', 'ccAgent'],
  ['cc_side', 'text', 'ccSide'],
  ['switchname', 'text', 'switchname'],
  ['core_uuid', 'uuid', 'coreUuid'],
] as const satisfies ReadonlyArray<readonly [keyof CdrInsert, string, keyof CdrRow]>;

/** The CdrRow fields JSON.stringify writes (a caller's object may carry more). */
const CDR_FIELDS = CDR_COLUMNS.map(([, , field]) => field);

/** json_to_recordset's column list: each CdrRow field (the JSON key) with its column's type. */
const RECORD_COLUMNS = sql.join(CDR_COLUMNS.map(([, type, field]) => sql`${sql.ref(field)} ${sql.raw(type)}`));

/**
 * Batches of this many CDRs first go as one COPY straight into voip.cdr: new CDRs are the rule
 * (a retried post is the exception), and COPY stores rows in bulk where INSERT ... SELECT stores
 * them one by one (and parses JSON first): about twice the throughput. A CDR already stored, or
 * twice in the batch, fails the COPY on the primary key with nothing stored; the batch then goes
 * the INSERT ... ON CONFLICT way below. A smaller batch goes that way at once (COPY needs one
 * more round trip, and a retried single post would pay for two statements); a larger one too,
 * in chunks, rather than as one text of that size.
 */
const COPY_ROWS = { min: 1_000, max: 50_000 } as const;

/** COPY voip.cdr (every column) FROM STDIN, compiled once by the first Kysely that needs it. */
let copyStatement: string | undefined;

/** Stores one CDR idempotently; `inserted` is 0 when it was already there. */
export async function ingestCdr(db: Kysely<DB>, cdr: CdrRow): Promise<CdrIngestResult> {
  assertValidCdrs('ingestCdr', [cdr], false);
  return ingestCdrs(db, [cdr]);
}

/**
 * Stores CDRs idempotently: a batch of 1,000 to 50,000 new CDRs on createDb's Kysely as one
 * COPY; otherwise (smaller or larger, a transaction or a connection of the caller's, or when
 * that COPY met a stored key) one INSERT ... SELECT FROM json_to_recordset(chunk) ON CONFLICT
 * (uuid, start_stamp) DO NOTHING per chunk, all chunks in one transaction (unless `db` is
 * already a transaction, which then decides). Either way a failure stores nothing and the whole
 * batch can simply be posted again.
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
  const sorted = sortByKey(cdrs);
  const chunks: CdrRow[][] = [];
  for (let i = 0; i < sorted.length; i += chunkSize) chunks.push(sorted.slice(i, i + chunkSize));

  const run = async (executor: Kysely<DB>): Promise<number> => {
    let inserted = 0;
    for (const chunk of chunks) {
      const result = await executor
        .insertInto('voip.cdr')
        .columns(CDR_COLUMNS.map(([column]) => column))
        .expression(sql`SELECT * FROM json_to_recordset(${sql.val(JSON.stringify(chunk, CDR_FIELDS))}::json) AS cdr(${RECORD_COLUMNS})`)
        .onConflict((oc) => oc.columns(['uuid', 'start_stamp']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return inserted;
  };
  try {
    if (sorted.length >= COPY_ROWS.min && sorted.length <= COPY_ROWS.max && !db.isTransaction && hasDirectPool(db)) {
      const copied = await copyNewCdrs(db, sorted);
      if (copied !== undefined) return { inserted: copied, duplicates: 0 };
    }
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
  startStamp: isoDate,
  answerStamp: optional(isoDate),
  endStamp: isoDate,
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

/**
 * A valid Date that JSON carries as PostgreSQL reads it: toJSON's ISO form says years outside
 * 1-9999 as +010000 or -000001, which the server refuses as bad syntax for the whole chunk; no
 * partition could hold such a CDR anyway (they are made at most 25 months ahead).
 */
function isoDate(value: unknown): string | undefined {
  const invalid = validDate(value);
  if (invalid !== undefined) return invalid;
  const year = (value as Date).getUTCFullYear();
  return year >= 1 && year <= 9999 ? undefined : `must be a Date in the years 1 to 9999, got the year ${year}`;
}

/** Problems listed at most, so a batch of 5,000 bad rows does not make a 5,000-line error. */
const MAX_LISTED_PROBLEMS = 20;

/**
 * Refuses the whole batch before anything is sent when any CDR holds a value the types rule out
 * or voip.cdr's CHECK constraints would refuse: the error names each item by its index and
 * field (the server's own refusal would name neither, and fail the batch all the same).
 */
function assertValidCdrs(operation: string, cdrs: readonly CdrRow[], batch: boolean): void {
  if (!Array.isArray(cdrs)) {
    throw new ClientInputInvalidError(operation, [{ field: 'cdrs', problem: `must be an array of CDRs, got ${kindOf(cdrs)}` }]);
  }
  const problems: InputProblem[] = [];
  for (let i = 0; i < cdrs.length && problems.length < MAX_LISTED_PROBLEMS; i++) {
    const before = problems.length;
    checkFields(cdrs[i], CDR_CHECKS, problems, batch ? i : undefined);
    if (problems.length === before) checkCdrTimes(cdrs[i]!, problems, batch ? i : undefined);
  }
  if (problems.length > 0) throw new ClientInputInvalidError(operation, problems);
}

/** The cross-field rules of voip.cdr's cdr_times_check and cdr_seconds_check, on a CDR whose fields each passed. */
function checkCdrTimes(cdr: CdrRow, problems: InputProblem[], index: number | undefined): void {
  const at = index === undefined ? {} : { index };
  const start = cdr.startStamp.getTime();
  if (cdr.endStamp.getTime() < start) problems.push({ ...at, field: 'endStamp', problem: 'must not be before startStamp' });
  if (cdr.answerStamp && cdr.answerStamp.getTime() < start) {
    problems.push({ ...at, field: 'answerStamp', problem: 'must not be before startStamp' });
  }
  if (cdr.billsec > cdr.duration) {
    problems.push({ ...at, field: 'billsec', problem: `must not exceed duration (${cdr.duration}), got ${cdr.billsec}` });
  }
}

/** An inet value: an IPv4 or IPv6 address, optionally with a /prefix. */
function inetAddress(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be an IP address string, got ${kindOf(value)}`;
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
  return family !== 0 && prefixOk && extra === undefined ? undefined : 'must be an IPv4 or IPv6 address';
}

/** Stores all of `cdrs` with one COPY; undefined (and nothing stored) when one of them is already stored or repeated. */
async function copyNewCdrs(db: Kysely<DB>, cdrs: readonly CdrRow[]): Promise<number | undefined> {
  copyStatement ??= sql`COPY ${sql.table('voip.cdr')} (${sql.join(CDR_COLUMNS.map(([column]) => sql.ref(column)))}) FROM STDIN`.compile(
    db,
  ).sql;
  let data = '';
  for (const cdr of cdrs) data += copyLine(cdr);
  try {
    return await copyDirect(db, copyStatement, data);
  } catch (error) {
    if (isStoredCdrKey(error)) return undefined;
    throw error;
  }
}

/** One CDR as a line of COPY's text format, its fields in the order of CDR_COLUMNS. */
function copyLine(cdr: CdrRow): string {
  let line = '';
  for (let i = 0; i < CDR_COLUMNS.length; i++) {
    const value = cdr[CDR_COLUMNS[i]![2]];
    if (i > 0) line += '\t';
    if (value === null || value === undefined) line += '\\N';
    else if (typeof value === 'string') line += copyTextField(value);
    else if (value instanceof Date) line += value.toISOString();
    else line += String(value);
  }
  return `${line}\n`;
}

/**
 * A unique violation: the COPY writes only voip.cdr, whose one unique index is its primary key
 * (uuid, start_stamp), raised in whichever partition holds the key.
 */
function isStoredCdrKey(error: unknown): boolean {
  const e = (error instanceof VoipdbError ? error.cause : error) as { code?: unknown } | undefined;
  return e?.code === '23505';
}

/** The CDRs ordered by (uuid, start_stamp), the key every concurrent insert then locks in the same order. */
function sortByKey(cdrs: readonly CdrRow[]): CdrRow[] {
  const keyed = cdrs.map((cdr) => ({ cdr, uuid: cdr.uuid.toLowerCase(), at: cdr.startStamp.getTime() }));
  keyed.sort((a, b) => (a.uuid !== b.uuid ? (a.uuid < b.uuid ? -1 : 1) : a.at - b.at));
  return keyed.map((k) => k.cdr);
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

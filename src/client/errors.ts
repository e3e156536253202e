import { ExitCode, failure } from '../errors.js';

/** Where a wrong value was found: the field's path and, in a batch, the item's index. */
export interface InputProblem {
  /** Index of the item in the batch (ingestCdrs); undefined for single-value calls. */
  index?: number;
  /** The input field as the caller spells it (`startStamp`, `domain`). */
  field: string;
  /** What is wrong, e.g. "must be a Date, got string". */
  problem: string;
}

/**
 * A client function was called with a value its types rule out or the schema would refuse
 * (typically from JavaScript, or from data parsed off the wire): nothing was sent to the server,
 * and in a batch nothing of the batch was written. Not retryable: the same input fails again.
 */
export class ClientInputInvalidError extends failure('CLIENT_INPUT_INVALID', ExitCode.usage) {
  readonly retryable = false;
  /** The first problem's field and batch index, for callers that answer per item. */
  readonly field: string;
  readonly index: number | undefined;

  constructor(
    readonly operation: string,
    readonly problems: readonly InputProblem[],
  ) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    super(
      `${operation}: ${describe(first)}${more}; nothing was written`,
      'fix the value named above in the caller (the types of the voipdb client say what each field takes)',
    );
    this.field = first.field;
    this.index = first.index;
  }

  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${describe(p)}`) : [];
  }
}

function describe(p: InputProblem): string {
  return `${p.index === undefined ? '' : `item ${p.index}: `}${p.field} ${p.problem}`;
}

/** A write reached a hot standby (SQLSTATE 25006). Retrying on this node cannot succeed. */
export class StandbyWriteError extends failure('STANDBY_WRITE', ExitCode.standby) {
  constructor(cause: unknown) {
    super(
      "write refused: this node's database is a read-only hot standby (SQLSTATE 25006)",
      'send writes to the primary, or wait until this node is promoted',
      { cause },
    );
  }
}

/** A query on the standby was cancelled by WAL replay (SQLSTATE 40001, conflict with recovery). Retryable. */
export class RecoveryConflictError extends failure('RECOVERY_CONFLICT', ExitCode.database) {
  readonly retryable = true;
  constructor(cause: unknown) {
    super(
      'query cancelled by a conflict with recovery on the standby (SQLSTATE 40001)',
      'retry the query (withRetry does); raise max_standby_streaming_delay or enable hot_standby_feedback if frequent',
      { cause },
    );
  }
}

/**
 * A CDR's start time falls outside every partition of voip.cdr (SQLSTATE 23514, "no partition of
 * relation ... found for row"). There is no default partition on purpose: the service answers
 * non-2xx, FreeSWITCH retries or keeps the CDR file, and nothing lands silently.
 */
export class CdrPartitionMissingError extends failure('CDR_PARTITION_MISSING', ExitCode.database) {
  constructor(
    readonly startStamp: Date | undefined,
    cause: unknown,
  ) {
    super(
      `no partition of voip.cdr holds this CDR${startStamp ? ` (start ${startStamp.toISOString()}, partition cdr_${startStamp.toISOString().slice(0, 7).replace('-', '')} is missing)` : ''}; it was not stored`,
      'create the partitions (`db partitions --ahead <months>`, or SELECT voip.cdr_create_partition(<start>) for an old month) and post it again',
      { cause },
    );
  }
}

/** A provisioning call named a SIP domain that voip.domains does not have. */
export class VoipDomainNotFoundError extends failure('VOIP_DOMAIN_NOT_FOUND', ExitCode.usage) {
  constructor(readonly domain: string) {
    super(
      `no domain ${JSON.stringify(domain)} in voip.domains`,
      'create the domain first, or check its spelling (domains are stored in lower case)',
    );
  }
}

/**
 * Provisioning would take over a kamailio.subscriber row it did not create (SQLSTATE 42501 from
 * the credential triggers, constraint subscriber_owners; migration 0009). Nothing was written.
 */
export class SubscriberNotOwnedError extends failure('SUBSCRIBER_NOT_OWNED', ExitCode.usage) {
  constructor(serverMessage: string, cause: unknown) {
    super(
      serverMessage,
      'another tool manages that SIP account: pick another extension name, remove the other account, or mark it as provisioning-owned (INSERT its id INTO voip.subscriber_owners) if it belongs here',
      { cause },
    );
  }
}

/**
 * The directory cache holds an answer but could not confirm, within its staleness bound, that
 * the database still gives the same one: the change counter did not answer (connection lost,
 * server down, a poll stuck longer than the bound). Nothing cached is served past the bound;
 * `cause` is the typed error of the failed read, when there was one. Retryable: the next lookup
 * after the database answers again is served.
 */
export class DirectoryCacheStaleError extends failure('DIRECTORY_CACHE_STALE', ExitCode.database) {
  readonly retryable = true;

  constructor(
    /** How long ago the cached answers were last confirmed (ms); Infinity if never. */
    readonly confirmedMsAgo: number,
    readonly maxStalenessMs: number,
    options: { cause?: unknown; timedOut?: boolean } = {},
  ) {
    const ago = Number.isFinite(confirmedMsAgo) ? `${Math.round(confirmedMsAgo)} ms ago` : 'never';
    const why = options.timedOut
      ? `the change counter did not answer within ${maxStalenessMs} ms`
      : `reading the change counter failed${options.cause instanceof Error ? `: ${options.cause.message}` : ''}`;
    super(
      `directory cache: answers last confirmed ${ago}, bound ${maxStalenessMs} ms, and ${why}; nothing stale is served`,
      "check that this node's database answers (db doctor) and has voip.directory_version (db migrate); answer the directory request with an error so FreeSWITCH retries",
      { cause: options.cause },
    );
  }
}

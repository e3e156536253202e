import type { MigrationRun } from './engine/result.js';

/**
 * Every failure a user can act on is one class here: a stable `code` that scripts can match,
 * a one-line `message`, a `hint` naming the next step, and the CLI `exitCode` it maps to.
 * Nothing below the CLI prints; it throws one of these and the CLI renders it.
 */

/** Documented exit codes of the `db` command (see README and `db --help`). */
export const ExitCode = {
  ok: 0,
  notOk: 1,
  usage: 2,
  database: 3,
  standby: 4,
  /**
   * Refused by a safety check: a failover check (old primary still answers, lag over the limit;
   * --force overrides), or a Kamailio database voipdb has not adopted (run db adopt).
   */
  refused: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class VoipdbError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCodeValue;
  readonly hint: string;
  /** Codes this failure had before codes were made to match class names; `hasCode` still accepts them. */
  readonly formerCodes: readonly string[] = [];
  /** The migration run as far as it got, when the error stopped one (see the engine's MigrationRun). */
  run?: MigrationRun;

  constructor(message: string, hint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }

  /** Extra lines shown under the message (a SQL excerpt with a caret, a list of problems). */
  details(): string[] {
    return [];
  }
}

// ---------------------------------------------------------------- usage and configuration (exit 2)

export class UsageError extends VoipdbError {
  readonly code = 'USAGE';
  readonly exitCode = ExitCode.usage;
}

/**
 * The command line itself is wrong, as the argument parser (commander) found it: the code names
 * what (UNKNOWN_OPTION, UNKNOWN_COMMAND, MISSING_VALUE, INVALID_CHOICE, ...), like
 * ConnectionFailedError's codes name the way a connection failed.
 */
/**
 * commander's own refusals (unknown option, missing value, …). The class's code is the family,
 * COMMAND_LINE, as ConnectionFailedError's is CONNECTION_FAILED; each instance carries the
 * specific reason commander gave as its printed code, which scripts may match.
 */
export class CommandLineError extends VoipdbError {
  readonly code: string = 'COMMAND_LINE';
  readonly exitCode = ExitCode.usage;
  constructor(
    code:
      | 'UNKNOWN_OPTION'
      | 'UNKNOWN_COMMAND'
      | 'MISSING_VALUE'
      | 'MISSING_ARGUMENT'
      | 'MISSING_OPTION'
      | 'INVALID_CHOICE'
      | 'TOO_MANY_ARGUMENTS'
      | 'CONFLICTING_OPTIONS'
      | 'COMMAND_LINE_INVALID',
    message: string,
    hint: string,
  ) {
    super(message, hint);
    this.code = code;
  }
}

export class ConfigInvalidError extends VoipdbError {
  readonly code = 'CONFIG_INVALID';
  readonly exitCode = ExitCode.usage;
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration (${problems.length} problems)`,
      'fix the settings named above (flags, DATABASE_URL or the PG* variables) and run again',
    );
  }
  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${p}`) : [];
  }
}

export class NoConnectionConfiguredError extends VoipdbError {
  readonly code = 'NO_CONNECTION_CONFIGURED';
  override readonly formerCodes = ['NO_CONNECTION'];
  readonly exitCode = ExitCode.usage;
  constructor() {
    super(
      'no database connection is configured',
      'pass --url postgres://user@host:port/voipdb, set DATABASE_URL, or set PGHOST/PGDATABASE (libpq variables); `npm start` runs a local server',
    );
  }
}

export class MigrationNameInvalidError extends VoipdbError {
  readonly code = 'MIGRATION_NAME_INVALID';
  readonly exitCode = ExitCode.usage;
}

export class SecretFileUnreadableError extends VoipdbError {
  readonly code = 'SECRET_FILE_UNREADABLE';
  readonly exitCode = ExitCode.usage;
}

/** The topology file (nodes, VIP) is unreadable or wrong; every problem is listed at once. */
export class TopologyInvalidError extends VoipdbError {
  readonly code = 'TOPOLOGY_INVALID';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      problems.length === 1 ? `${source}: ${problems[0]}` : `${source}: ${problems.length} problems in the topology`,
      'fix the topology file (see examples/topology.yaml): exactly one primary, distinct names and IPv4/IPv6 addresses',
    );
  }
  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${p}`) : [];
  }
}

/** `db config render --node X` named a node the topology does not have. */
export class TopologyNodeUnknownError extends VoipdbError {
  readonly code = 'TOPOLOGY_NODE_UNKNOWN';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly node: string,
    known: string[],
  ) {
    super(`the topology has no node ${JSON.stringify(node)}`, `use one of: ${known.join(', ')}`);
  }
}

// ---------------------------------------------------------------- connection (exit 3)

/** The connection could not be made; the subclasses name which way (all are exit 3). */
export class ConnectionFailedError extends VoipdbError {
  readonly code: string = 'CONNECTION_FAILED';
  readonly exitCode = ExitCode.database;
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, hint, { cause });
  }
}
export class HostNotFoundError extends ConnectionFailedError {
  override readonly code = 'HOST_NOT_FOUND';
}
export class ConnectionRefusedError extends ConnectionFailedError {
  override readonly code = 'CONNECTION_REFUSED';
}
export class ConnectionTimeoutError extends ConnectionFailedError {
  override readonly code = 'CONNECTION_TIMEOUT';
}
export class AuthFailedError extends ConnectionFailedError {
  override readonly code = 'AUTH_FAILED';
}
export class DatabaseNotFoundError extends ConnectionFailedError {
  override readonly code = 'DATABASE_NOT_FOUND';
}
/** TLS could not be set up as sslmode asked: the server has none, the CA or the host name is wrong. */
export class TlsFailedError extends ConnectionFailedError {
  override readonly code = 'TLS_FAILED';
}

const CONNECTION_FAILURES = {
  HOST_NOT_FOUND: HostNotFoundError,
  CONNECTION_REFUSED: ConnectionRefusedError,
  CONNECTION_TIMEOUT: ConnectionTimeoutError,
  AUTH_FAILED: AuthFailedError,
  DATABASE_NOT_FOUND: DatabaseNotFoundError,
  TLS_FAILED: TlsFailedError,
  CONNECTION_FAILED: ConnectionFailedError,
} as const;

/** The ConnectionFailedError subclass whose code is `code`. */
export function connectionFailure(
  code: keyof typeof CONNECTION_FAILURES,
  message: string,
  hint: string,
  cause?: unknown,
): ConnectionFailedError {
  return new CONNECTION_FAILURES[code](message, hint, cause);
}

// ---------------------------------------------------------------- standby (exit 4)

/**
 * Several hosts were given (or one, with target_session_attrs) and none was reachable and fit:
 * each host is listed with why it was passed over, as libpq does. No password is shown.
 */
export class NoSuitableHostError extends VoipdbError {
  readonly code = 'NO_SUITABLE_HOST';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly wanted: string,
    readonly failures: { host: string; reason: string }[],
  ) {
    super(
      `no host ${wanted}: ${failures.map((f) => `${f.host} ${f.reason}`).join('; ')}`,
      'check that the servers run and which one is the primary (`db doctor` on each node); the hosts are tried in the order given',
    );
  }
}

export class NodeIsStandbyError extends VoipdbError {
  readonly code = 'NODE_IS_STANDBY';
  readonly exitCode = ExitCode.standby;
  constructor(action: string, where: string) {
    super(
      `refusing to ${action}: ${where} is a hot standby (pg_is_in_recovery() is true); nothing was written`,
      'run it against the primary (node 1); streaming replication brings the change to this node',
    );
  }
}

// ---------------------------------------------------------------- migrations (exit 3)

export class MigrationChecksumMismatchError extends VoipdbError {
  readonly code = 'MIGRATION_CHECKSUM_MISMATCH';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly version: number,
    readonly file: string,
    applied: string,
    current: string,
  ) {
    super(
      `applied migration ${file} was changed after it ran (recorded sha256 ${applied.slice(0, 12)}…, file now ${current.slice(0, 12)}…)`,
      'restore the file as it was applied (git checkout) and put the change in a new migration (`db new <name>`)',
    );
  }
}

export class MigrationFileMissingError extends VoipdbError {
  readonly code = 'MIGRATION_FILE_MISSING';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly version: number,
    name: string,
  ) {
    super(
      `applied migration ${String(version).padStart(4, '0')}_${name} has no file in the migrations folder`,
      'restore the file from version control; applied history must stay in the repository',
    );
  }
}

export class MigrationOutOfOrderError extends VoipdbError {
  readonly code = 'MIGRATION_OUT_OF_ORDER';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly file: string,
    lastApplied: number,
  ) {
    super(
      `new migration ${file} sorts before the last applied version ${String(lastApplied).padStart(4, '0')}`,
      'renumber it after the last applied migration (`db new` picks the next number)',
    );
  }
}

export class MigrationVersionDuplicateError extends VoipdbError {
  readonly code = 'MIGRATION_VERSION_DUPLICATE';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly version: number,
    files: string[],
  ) {
    super(
      `${files.length} migration files share version ${String(version).padStart(4, '0')}: ${files.join(', ')}`,
      'give each migration its own number (`db new` picks the next free one)',
    );
  }
}

/**
 * A NNNN_name.ts/.js file in the migrations folder. TypeScript migrations were removed: they always
 * ran in a transaction whatever they declared, the dry run could not show them, and they needed a
 * TypeScript compiler in production. Refused rather than skipped, so nothing is silently not applied.
 */
export class MigrationFileUnsupportedError extends VoipdbError {
  readonly code = 'MIGRATION_FILE_UNSUPPORTED';
  readonly exitCode = ExitCode.usage;
  constructor(readonly file: string) {
    super(
      `${file}: migrations are SQL files (NNNN_name.sql, with an optional NNNN_name.down.sql); TypeScript and JavaScript migrations are not supported`,
      'write the change as SQL (`db new <name>`), or move the file out of the migrations folder',
    );
  }
}

export class MigrationTargetUnknownError extends VoipdbError {
  readonly code = 'MIGRATION_TARGET_UNKNOWN';
  readonly exitCode = ExitCode.usage;
  constructor(version: number) {
    super(`no migration has version ${version}`, 'run `db status` to list the versions');
  }
}

export class MigrationDownMissingError extends VoipdbError {
  readonly code = 'MIGRATION_DOWN_MISSING';
  readonly exitCode = ExitCode.database;
  constructor(readonly file: string) {
    super(
      `cannot revert ${file}: it has no down file; nothing was reverted`,
      `write ${file.replace(/\.(sql|ts|js)$/, '.down.sql')} or stop the rollback at a later version with --to`,
    );
  }
}

export interface SqlErrorPosition {
  file: string;
  line: number;
  column: number;
  excerpt: string[];
}

/** A statement of a migration failed on the server: names the file, line and column. */
export class MigrationFailedError extends VoipdbError {
  readonly code = 'MIGRATION_FAILED';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly file: string,
    message: string,
    readonly sqlState: string | undefined,
    readonly position: SqlErrorPosition | undefined,
    readonly serverDetail: string | undefined,
    readonly serverHint: string | undefined,
    cause: unknown,
  ) {
    super(
      `${position ? `${file}:${position.line}:${position.column}` : file}: ${message}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`,
      serverHint ?? 'fix the migration and run `db migrate` again; the failed migration was rolled back',
      { cause },
    );
  }
  override details(): string[] {
    const lines = [...(this.position?.excerpt ?? [])];
    if (this.serverDetail) lines.push(`detail: ${this.serverDetail}`);
    return lines;
  }
}

export class MigrationLockBusyError extends VoipdbError {
  readonly code = 'MIGRATION_LOCK_BUSY';
  readonly exitCode = ExitCode.database;
  constructor(waitedMs: number, holder: string) {
    super(
      `another migration run holds the migration lock (waited ${Math.round(waitedMs / 1000)} s): ${holder}`,
      'wait for that run to finish, or raise --lock-wait; if the holder is stuck, pg_terminate_backend(pid) releases the lock',
    );
  }
}

export class MigrationLockTimeoutError extends VoipdbError {
  readonly code = 'MIGRATION_LOCK_TIMEOUT';
  readonly exitCode = ExitCode.database;
  constructor(
    readonly file: string,
    attempts: number,
    lockTimeoutMs: number,
    blockers: string,
    /** The statement's line (no-transaction files), and what became of the migration if not rolled back. */
    at: { line?: number; outcome?: string } = {},
  ) {
    super(
      `${file}${at.line ? `:${at.line}` : ''}: could not take its table locks within lock_timeout ${lockTimeoutMs} ms after ${attempts} attempts; ${at.outcome ?? 'it was rolled back'}${blockers ? `; blocked by ${blockers}` : ''}`,
      'find the long transaction (pg_stat_activity) and let it finish, or raise --lock-timeout / --lock-retries',
    );
  }
}

/** `db partitions` (or the post-step of `db migrate`) found another maintainer's partition lock held for longer than --lock-wait. */
export class PartitionLockBusyError extends VoipdbError {
  readonly code = 'PARTITION_LOCK_BUSY';
  readonly exitCode = ExitCode.database;
  constructor(waitedMs: number, holder: string) {
    super(
      `another session holds the CDR partition maintenance lock (waited ${Math.round(waitedMs / 1000)} s): ${holder}`,
      'wait for that maintenance to finish, or raise --lock-wait; if the holder is stuck, pg_terminate_backend(pid) releases the lock',
    );
  }
}

/**
 * The partition maintenance functions refused their arguments (SQLSTATE 22023): an `at` far from
 * the server's clock, an `ahead` beyond the documented bound, a negative `retain`.
 */
export class CdrPartitionArgumentError extends VoipdbError {
  readonly code = 'CDR_PARTITION_ARGUMENT';
  readonly exitCode = ExitCode.usage;
  constructor(
    message: string,
    readonly sqlState: string,
    hint: string | undefined,
    cause: unknown,
  ) {
    super(
      `CDR partition maintenance refused: ${message} (SQLSTATE ${sqlState})`,
      hint ?? 'check the arguments and the server clock (SELECT now()), then run again',
      { cause },
    );
  }
}

export class MigrationInvalidIndexError extends VoipdbError {
  readonly code = 'MIGRATION_INVALID_INDEX';
  readonly exitCode = ExitCode.database;
}

// ---------------------------------------------------------------- migration files as input (exit 2)

/** The naming rule of migration files, as the refusals and the README state it. */
export const MIGRATION_FILE_RULE =
  'migration files are named NNNN_name.sql with an optional NNNN_name.down.sql: a version of 1 to 9 digits, an underscore, then lower-case letters, digits and underscores';

/** Files in the migrations folder that look like migrations but break the naming rule; all are listed. */
export class MigrationFileNameInvalidError extends VoipdbError {
  readonly code = 'MIGRATION_FILE_NAME_INVALID';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly dir: string,
    readonly problems: Array<{ file: string; problem: string }>,
  ) {
    super(
      problems.length === 1
        ? `${problems[0]!.file} in ${dir} is not a valid migration file name: ${problems[0]!.problem}; nothing was run`
        : `${problems.length} files in ${dir} are not valid migration file names; nothing was run`,
      `rename them (${MIGRATION_FILE_RULE}); files that are not migrations (README, .gitkeep, dotfiles) are ignored`,
    );
  }
  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${p.file}: ${p.problem}`) : [];
  }
}

/** A migration file is not valid UTF-8: it would reach the server changed (or be refused by it halfway). */
export class MigrationFileNotUtf8Error extends VoipdbError {
  readonly code = 'MIGRATION_FILE_NOT_UTF8';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly byteOffset: number,
  ) {
    super(
      `${file}:${line}: not valid UTF-8 (first bad byte at offset ${byteOffset}); nothing was run`,
      `save ${file} as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`) and run again`,
    );
  }
}

export class RoleMissingError extends VoipdbError {
  readonly code = 'ROLE_MISSING';
  readonly exitCode = ExitCode.database;
  constructor(readonly role: string) {
    super(
      `role ${role} does not exist on this server, so its password cannot be set`,
      'run `db migrate` (migration 0002 creates the platform roles) before setting passwords',
    );
  }
}

// ---------------------------------------------------------------- adopting a kamdbctl database

/**
 * The database holds Kamailio's tables outside schema `kamailio` (what `kamdbctl create` makes)
 * and voipdb has no history there: migrating would build a second, empty kamailio schema that
 * the role's search_path then prefers. Refused before anything is written.
 */
export class KamailioNotAdoptedError extends VoipdbError {
  readonly code = 'KAMAILIO_NOT_ADOPTED';
  readonly exitCode = ExitCode.refused;
  constructor(
    readonly action: string,
    readonly found: ReadonlyArray<{ schema: string; tables: string[] }>,
  ) {
    const first = found[0]!;
    super(
      `refusing to ${action}: this database already holds Kamailio tables outside schema kamailio (${found
        .map((f) => `${f.tables.length} in schema ${f.schema}`)
        .join(', ')}) and no voipdb history; migrating would build a second, empty kamailio schema; nothing was written`,
      `take a pg_dump, then run \`db adopt${first.schema === 'public' ? '' : ` --from-schema ${first.schema}`} --dry-run\` to see the plan and \`db adopt${first.schema === 'public' ? '' : ` --from-schema ${first.schema}`}\` to move them into voipdb's layout`,
    );
  }
  override details(): string[] {
    return this.found.map((f) => `- schema ${f.schema}: ${f.tables.join(', ')}`);
  }
}

/** `db adopt` found something it cannot bring to voipdb's layout safely; nothing was changed. */
export class AdoptRefusedError extends VoipdbError {
  readonly code = 'ADOPT_REFUSED';
  readonly exitCode = ExitCode.database;
  constructor(
    message: string,
    readonly problems: string[],
    hint: string,
  ) {
    super(message, hint);
  }
  override details(): string[] {
    return this.problems.map((p) => `- ${p}`);
  }
}

// ---------------------------------------------------------------- local server

export class LocalServerError extends VoipdbError {
  readonly code = 'LOCAL_SERVER';
  readonly exitCode = ExitCode.database;
}

/**
 * .voipdb/ holds a cluster that has run (it may hold data) but lacks what makes it usable (its
 * password file or settings). It is not remade on its own: that would lose the data.
 */
export class LocalServerIncompleteError extends VoipdbError {
  readonly code = 'LOCAL_SERVER_INCOMPLETE';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly localDir: string,
    readonly missing: string,
  ) {
    super(
      `the local server in ${localDir} has data but its ${missing} is missing`,
      `restore ${missing}, or keep what you need (pg_dump) and remove ${localDir} to make a new local server with \`npm start\``,
    );
  }
}

/** Another `db start` / `db up` of this checkout is making the local server right now. */
export class LocalServerBusyError extends VoipdbError {
  readonly code = 'LOCAL_SERVER_BUSY';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly localDir: string,
    readonly pid: number,
  ) {
    super(`another command (pid ${pid}) is making the local server in ${localDir}`, 'wait for it to finish, then run the command again');
  }
}

/** SIGINT/SIGTERM/SIGHUP arrived while the first start made the local server; what it had made was removed. */
export class LocalServerInterruptedError extends VoipdbError {
  readonly code = 'LOCAL_SERVER_INTERRUPTED';
  readonly exitCode = ExitCode.notOk;
  constructor(
    readonly signal: NodeJS.Signals,
    readonly localDir: string,
  ) {
    super(
      `interrupted (${signal}) while making the local server; the half-made ${localDir} was removed`,
      'run `npm start` again to make it',
    );
  }
}

/**
 * A command needs one of the CLI's optional packages (the local server, codegen, lint, the SQL
 * parser), which `npm install --omit=dev` of the package does not bring.
 */
export class OptionalPackageMissingError extends VoipdbError {
  readonly code = 'OPTIONAL_PACKAGE_MISSING';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly packageName: string,
    readonly range: string | undefined,
    purpose: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${purpose} needs the optional package ${packageName}, which is not installed`,
      `install it beside voipdb: npm install ${range ? `'${packageName}@${range}'` : packageName} (in the voipdb repository, \`npm install\` has it)`,
      options,
    );
  }
}

// ---------------------------------------------------------------- client-side (services)

/** A write reached a hot standby (SQLSTATE 25006). Retrying on this node cannot succeed. */
export class StandbyWriteError extends VoipdbError {
  readonly code = 'STANDBY_WRITE';
  readonly exitCode = ExitCode.standby;
  constructor(cause: unknown) {
    super(
      "write refused: this node's database is a read-only hot standby (SQLSTATE 25006)",
      'send writes to the primary, or wait until this node is promoted',
      { cause },
    );
  }
}

/** A query on the standby was cancelled by WAL replay (SQLSTATE 40001, conflict with recovery). Retryable. */
export class RecoveryConflictError extends VoipdbError {
  readonly code = 'RECOVERY_CONFLICT';
  readonly exitCode = ExitCode.database;
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
export class CdrPartitionMissingError extends VoipdbError {
  readonly code = 'CDR_PARTITION_MISSING';
  readonly exitCode = ExitCode.database;
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
export class VoipDomainNotFoundError extends VoipdbError {
  readonly code = 'VOIP_DOMAIN_NOT_FOUND';
  readonly exitCode = ExitCode.usage;
  constructor(readonly domain: string) {
    super(
      `no domain ${JSON.stringify(domain)} in voip.domains`,
      'create the domain first, or check its spelling (domains are stored in lower case)',
    );
  }
}

/**
 * A PostgreSQL error that no more specific class explains (a permission, a constraint, a server
 * that went away mid-query): its SQLSTATE, detail and hint as the server gave them.
 */
export class DatabaseError extends VoipdbError {
  readonly code = 'DATABASE';
  readonly exitCode = ExitCode.database;
  readonly sqlState: string;
  readonly serverDetail: string | undefined;
  readonly serverHint: string | undefined;
  constructor(cause: ServerErrorFields & Error) {
    super(
      `${cause.message} (SQLSTATE ${cause.code})`,
      cause.hint ?? 'the database refused the statement; check the SQLSTATE in the PostgreSQL error codes appendix, then run again',
      { cause },
    );
    this.sqlState = cause.code;
    this.serverDetail = cause.detail;
    this.serverHint = cause.hint;
  }
  override details(): string[] {
    return this.serverDetail ? [`detail: ${this.serverDetail}`] : [];
  }
}

interface ServerErrorFields {
  code: string;
  severity?: string;
  detail?: string;
  hint?: string;
}

/** An error as the pg driver reports a server's ErrorResponse: a five-character SQLSTATE and a severity. */
export function isServerError(e: unknown): e is ServerErrorFields & Error {
  const fields = e as Partial<ServerErrorFields> | null;
  return e instanceof Error && typeof fields?.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code) && typeof fields.severity === 'string';
}

/** Ours as they are; a raw server error becomes a DatabaseError; anything else (a bug) stays as it is. */
export function toVoipdbError(e: unknown): unknown {
  if (e instanceof VoipdbError) return e;
  return isServerError(e) ? new DatabaseError(e) : e;
}

/** The error with the run it stopped attached (`error.run`); a raw server error becomes a DatabaseError first. */
export function attachRun(e: unknown, run: MigrationRun | undefined): unknown {
  const error = toVoipdbError(e);
  if (run && error instanceof Error) (error as { run?: MigrationRun }).run = run;
  return error;
}

/**
 * Provisioning would take over a kamailio.subscriber row it did not create (SQLSTATE 42501 from
 * the credential triggers, constraint subscriber_owners; migration 0009). Nothing was written.
 */
export class SubscriberNotOwnedError extends VoipdbError {
  readonly code = 'SUBSCRIBER_NOT_OWNED';
  readonly exitCode = ExitCode.usage;
  constructor(serverMessage: string, cause: unknown) {
    super(
      serverMessage,
      'another tool manages that SIP account: pick another extension name, remove the other account, or mark it as provisioning-owned (INSERT its id INTO voip.subscriber_owners) if it belongs here',
      { cause },
    );
  }
}

export function isVoipdbError(e: unknown): e is VoipdbError {
  return e instanceof VoipdbError;
}

/** Whether `e` is our error with this code, current or former (for scripts written against the old codes). */
export function hasCode(e: unknown, code: string): boolean {
  return e instanceof VoipdbError && (e.code === code || e.formerCodes.includes(code));
}

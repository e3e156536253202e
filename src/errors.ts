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
  notAdopted: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class VoipdbError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: ExitCodeValue;
  readonly hint: string;

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
  readonly code = 'NO_CONNECTION';
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

export class SecretFileError extends VoipdbError {
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

export class ConnectionFailedError extends VoipdbError {
  readonly code: string;
  readonly exitCode = ExitCode.database;
  constructor(
    code: 'HOST_NOT_FOUND' | 'CONNECTION_REFUSED' | 'CONNECTION_TIMEOUT' | 'AUTH_FAILED' | 'DATABASE_NOT_FOUND' | 'CONNECTION_FAILED',
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    super(message, hint, { cause });
    this.code = code;
  }
}

// ---------------------------------------------------------------- standby (exit 4)

export class StandbyRefusedError extends VoipdbError {
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

export class DuplicateMigrationVersionError extends VoipdbError {
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

export class MigrationTargetUnknownError extends VoipdbError {
  readonly code = 'MIGRATION_TARGET_UNKNOWN';
  readonly exitCode = ExitCode.usage;
  constructor(version: number) {
    super(`no migration has version ${version}`, 'run `db status` to list the versions');
  }
}

export class DownMigrationMissingError extends VoipdbError {
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

export class DdlLockTimeoutError extends VoipdbError {
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

export class InvalidIndexLeftError extends VoipdbError {
  readonly code = 'MIGRATION_INVALID_INDEX';
  readonly exitCode = ExitCode.database;
}

// ---------------------------------------------------------------- migration files as input (exit 2)

/** The naming rule of migration files, as the refusals and the README state it. */
export const MIGRATION_FILE_RULE =
  'migration files are named NNNN_name.sql (or .ts, .js, .mjs) with an optional NNNN_name.down.sql: a version of 1 to 9 digits, an underscore, then lower-case letters, digits and underscores';

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
export class MigrationFileEncodingError extends VoipdbError {
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

export class PlatformRoleMissingError extends VoipdbError {
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
  readonly exitCode = ExitCode.notAdopted;
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

export function isVoipdbError(e: unknown): e is VoipdbError {
  return e instanceof VoipdbError;
}

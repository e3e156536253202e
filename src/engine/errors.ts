import { ExitCode, failure } from '../errors.js';
import { migrationLabel, versionLabel } from './migration-label.js';

/**
 * The migration engine's failures: the migration files as input (exit 2), their history and their
 * run on the server (exit 3). A failure that stops a run carries the run as far as it got: see
 * failed-run.ts.
 */

export class MigrationNameInvalidError extends failure('MIGRATION_NAME_INVALID', ExitCode.usage) {}

export class MigrationChecksumMismatchError extends failure('MIGRATION_CHECKSUM_MISMATCH', ExitCode.database) {
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

export class MigrationFileMissingError extends failure('MIGRATION_FILE_MISSING', ExitCode.database) {
  constructor(
    readonly version: number,
    name: string,
  ) {
    super(
      `applied migration ${migrationLabel({ version, name })} has no file in the migrations folder`,
      'restore the file from version control; applied history must stay in the repository',
    );
  }
}

export class MigrationOutOfOrderError extends failure('MIGRATION_OUT_OF_ORDER', ExitCode.database) {
  constructor(
    readonly file: string,
    lastApplied: number,
  ) {
    super(
      `new migration ${file} sorts before the last applied version ${versionLabel(lastApplied)}`,
      'renumber it after the last applied migration (`db new` picks the next number)',
    );
  }
}

export class MigrationVersionDuplicateError extends failure('MIGRATION_VERSION_DUPLICATE', ExitCode.database) {
  constructor(
    readonly version: number,
    files: string[],
  ) {
    super(
      `${files.length} migration files share version ${versionLabel(version)}: ${files.join(', ')}`,
      'give each migration its own number (`db new` picks the next free one)',
    );
  }
}

/**
 * A NNNN_name.ts/.js file in the migrations folder. TypeScript migrations were removed: they always
 * ran in a transaction whatever they declared, the dry run could not show them, and they needed a
 * TypeScript compiler in production. Refused rather than skipped, so nothing is silently not applied.
 */
export class MigrationFileUnsupportedError extends failure('MIGRATION_FILE_UNSUPPORTED', ExitCode.usage) {
  constructor(readonly file: string) {
    super(
      `${file}: migrations are SQL files (NNNN_name.sql, with an optional NNNN_name.down.sql); TypeScript and JavaScript migrations are not supported`,
      'write the change as SQL (`db new <name>`), or move the file out of the migrations folder',
    );
  }
}

export class MigrationTargetUnknownError extends failure('MIGRATION_TARGET_UNKNOWN', ExitCode.usage) {
  constructor(version: number) {
    super(`no migration has version ${version}`, 'run `db status` to list the versions');
  }
}

export class MigrationDownMissingError extends failure('MIGRATION_DOWN_MISSING', ExitCode.database) {
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
export class MigrationFailedError extends failure('MIGRATION_FAILED', ExitCode.database) {
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

export class MigrationLockBusyError extends failure('MIGRATION_LOCK_BUSY', ExitCode.database) {
  constructor(waitedMs: number, holder: string) {
    super(
      `another migration run holds the migration lock (waited ${Math.round(waitedMs / 1000)} s): ${holder}`,
      'wait for that run to finish, or raise --lock-wait; if the holder is stuck, pg_terminate_backend(pid) releases the lock',
    );
  }
}

export class MigrationLockTimeoutError extends failure('MIGRATION_LOCK_TIMEOUT', ExitCode.database) {
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

export class MigrationInvalidIndexError extends failure('MIGRATION_INVALID_INDEX', ExitCode.database) {}

/** The naming rule of migration files, as the refusals and the README state it. */
export const MIGRATION_FILE_RULE =
  'migration files are named NNNN_name.sql with an optional NNNN_name.down.sql: a version of 1 to 9 digits, an underscore, then lower-case letters, digits and underscores';

/** Files in the migrations folder that look like migrations but break the naming rule; all are listed. */
export class MigrationFileNameInvalidError extends failure('MIGRATION_FILE_NAME_INVALID', ExitCode.usage) {
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
export class MigrationFileNotUtf8Error extends failure('MIGRATION_FILE_NOT_UTF8', ExitCode.usage) {
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

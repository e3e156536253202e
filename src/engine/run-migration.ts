import type pg from 'pg';
import { invalidIndexOn, readInvalidIndexes } from '../database/invalid-indexes.js';
import { describeBlockers, isLockTimeout, type LockRetryLimits, retryOnLockTimeout } from '../database/lock-timeout-retry.js';
import { MigrationFailedError, MigrationInvalidIndexError, MigrationLockTimeoutError } from './errors.js';
import { OptionalPackageMissingError } from '../optional-package.js';
import { type CreatedIndex, createdIndexes } from '../sql/created-indexes.js';
import { caretExcerpt, indexAfterCodePoints, lineAndColumn } from '../sql/position.js';
import { parseStatements, SqlSyntaxError, type SqlStatement } from '../sql/statements.js';
import type { MigrationFile } from './files.js';
import { recordApplied, recordReverted } from './history.js';

/** Per-migration safety limits (see `db migrate --help`). */
export interface MigrationLimits extends LockRetryLimits {
  /** statement_timeout; 0 = off. */
  statementTimeoutMs: number;
}

export type MigrationEvent =
  | { type: 'start'; direction: 'up' | 'down'; migration: MigrationFile }
  | { type: 'done'; direction: 'up' | 'down'; migration: MigrationFile; durationMs: number }
  | { type: 'retry'; migration: MigrationFile; attempt: number; waitMs: number }
  /** An invalid index left by an earlier, interrupted run of this no-transaction migration was dropped before rebuilding it. */
  | { type: 'invalid-index-dropped'; migration: MigrationFile; index: string };

type Direction = 'up' | 'down';

interface Step {
  file: string;
  sql: string;
  transactional: boolean;
}

/**
 * Applies (or reverts) one migration. A transactional migration runs in its own transaction
 * with its history row written inside it: a failure leaves neither schema changes nor a row.
 * A lock_timeout is retried with backoff, then reported.
 */
export async function runMigration(
  client: pg.Client,
  migration: MigrationFile,
  direction: Direction,
  limits: MigrationLimits,
  onEvent: (e: MigrationEvent) => void,
): Promise<number> {
  onEvent({ type: 'start', direction, migration });
  const run: Run = { client, migration, direction, limits, onEvent, started: performance.now() };
  const step = stepFor(migration, direction);
  if (!step.transactional) await runOutsideTransaction(run, step);
  else await withLockRetries(run, step.file, () => runInTransaction(run, step));
  const durationMs = performance.now() - run.started;
  onEvent({ type: 'done', direction, migration, durationMs });
  return durationMs;
}

/** One migration being applied or reverted: what every step of it needs. */
interface Run {
  client: pg.Client;
  migration: MigrationFile;
  direction: Direction;
  limits: MigrationLimits;
  onEvent: (e: MigrationEvent) => void;
  started: number;
}

/**
 * Runs `what` again after a lock_timeout (55P03), with doubling backoff (the shared loop of
 * src/database/lock-timeout-retry.ts), then names the oldest open transactions. `at` says which statement it was and what stays applied (no-transaction).
 */
async function withLockRetries(
  run: Run,
  file: string,
  what: () => Promise<void>,
  at: { line?: number; outcome?: string } = {},
): Promise<void> {
  await retryOnLockTimeout(run.limits, what, {
    onRetry: ({ attempt, waitMs }) => run.onEvent({ type: 'retry', migration: run.migration, attempt, waitMs }),
    giveUp: async (attempts) =>
      new MigrationLockTimeoutError(file, attempts, run.limits.lockTimeoutMs, await describeBlockers(run.client), at),
  });
}

function stepFor(m: MigrationFile, direction: Direction): Step {
  if (direction === 'up') return { file: m.file, sql: m.sql, transactional: m.transactional };
  return { file: m.down!.file, sql: m.down!.sql, transactional: m.down!.transactional };
}

async function applyLimits(client: pg.Client, limits: MigrationLimits, scope: 'LOCAL' | 'SESSION'): Promise<void> {
  // SET cannot take bind parameters; the values are integers we validated.
  await client.query(
    `SET ${scope} lock_timeout = ${Math.trunc(limits.lockTimeoutMs)}; SET ${scope} statement_timeout = ${Math.trunc(limits.statementTimeoutMs)}`,
  );
}

async function runInTransaction({ client, migration: m, direction, limits, started }: Run, step: Step): Promise<void> {
  await client.query('BEGIN');
  try {
    await applyLimits(client, limits, 'LOCAL');
    // The whole file in one simple-protocol round trip; the server parses it with its own
    // grammar, so nothing here needs the SQL parser unless something fails.
    await client.query(step.sql);
    if (direction === 'up') await recordApplied(client, m, performance.now() - started);
    else await recordReverted(client, m.version);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isServerError(error) && !isLockTimeout(error)) throw await locateFailure(client, step, error, limits);
    throw error;
  }
}

function isServerError(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && !(error instanceof MigrationFailedError);
}

/**
 * Names the file, line and column of a failed transactional migration. With a server position
 * (an offset into the whole file, which was sent as one query) that is immediate. Without one,
 * the file is split with PostgreSQL's grammar and re-run statement by statement in a transaction
 * that is always rolled back, to find the statement that fails; if the failure does not repeat,
 * the file alone is named.
 */
async function locateFailure(client: pg.Client, step: Step, error: unknown, limits: MigrationLimits): Promise<unknown> {
  if ((error as { position?: string }).position) return toMigrationError(error, step.file, 0, step.sql);
  let statements: SqlStatement[];
  try {
    statements = await statementsOf(step.file, step.sql);
  } catch (missing) {
    // Without the optional parser the failure is still reported, naming the file but no line.
    if (missing instanceof OptionalPackageMissingError) return toMigrationError(error, step.file, 0, '', missing);
    throw missing;
  }
  const code = (error as { code?: string }).code;
  await client.query('BEGIN');
  try {
    await applyLimits(client, limits, 'LOCAL');
    for (const statement of statements) {
      try {
        await client.query(statement.text);
      } catch (again) {
        return (again as { code?: string }).code === code
          ? toMigrationError(again, step.file, statement.start, step.sql)
          : toMigrationError(error, step.file, 0, '');
      }
    }
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
  return toMigrationError(error, step.file, 0, '');
}

/**
 * `-- voipdb:no-transaction` migrations (CREATE INDEX CONCURRENTLY): each statement alone, split
 * by PostgreSQL's grammar, each retried on lock_timeout as a transactional migration is. A killed
 * or failed CREATE INDEX CONCURRENTLY leaves an INVALID index that `IF NOT EXISTS` would skip, so
 * before each statement that creates a named index, an invalid index of that name is dropped; a
 * failed statement's own invalid index is dropped and named in the error. The history row is
 * written only when every index the file creates is valid. Statements before a failure stay
 * applied, so such files should be idempotent.
 */
async function runOutsideTransaction(run: Run, step: Step): Promise<void> {
  const { client, migration: m, direction, limits, started } = run;
  const statements = await statementsOf(step.file, step.sql);
  const indexes = createdIndexes(statements);
  await applyLimits(client, limits, 'SESSION');
  try {
    for (const statement of statements) {
      const own = indexes.filter((i) => i.statement === statement);
      await withLockRetries(run, step.file, () => runAloneStatement(run, step, statement, own), {
        line: statement.line,
        outcome: 'that statement was not applied, the ones before it were (the next run repeats them)',
      });
    }
    await requireValidIndexes(client, step, indexes);
    if (direction === 'up') await recordApplied(client, m, performance.now() - started);
    else await recordReverted(client, m.version);
  } finally {
    await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
  }
}

async function runAloneStatement(
  { client, migration, onEvent }: Run,
  step: Step,
  statement: SqlStatement,
  own: CreatedIndex[],
): Promise<void> {
  for (const index of own) {
    const invalid = await invalidIndexOn(client, index.table, index.name);
    if (!invalid) continue;
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${invalid.qualified}`);
    onEvent({ type: 'invalid-index-dropped', migration, index: invalid.qualified });
  }
  const before = (await readInvalidIndexes(client)).map((i) => i.qualified);
  try {
    await runStatement(client, step.file, statement, step.sql);
  } catch (error) {
    // The failed statement's own leftovers, named or not (CONCURRENTLY builds in stages).
    // The drop waits for the same transactions the build waited for: if it cannot finish within
    // lock_timeout, the original error still wins, and the next run drops what is left.
    const left = (await readInvalidIndexes(client)).map((i) => i.qualified).filter((name) => !before.includes(name));
    const dropped: string[] = [];
    for (const name of left) if (await dropIndexIfPossible(client, name)) dropped.push(name);
    if (dropped.length > 0 && error instanceof MigrationFailedError) {
      throw new MigrationInvalidIndexError(
        `${error.message}; the invalid index ${dropped.join(', ')} it left behind was dropped`,
        'fix the cause (often duplicate rows for a UNIQUE index) and run `db migrate` again',
        { cause: error },
      );
    }
    throw error;
  }
}

async function dropIndexIfPossible(client: pg.Client, qualified: string): Promise<boolean> {
  try {
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified}`);
    return true;
  } catch {
    return false;
  }
}

/** The gate before the history row: no index this file creates may be left INVALID. */
async function requireValidIndexes(client: pg.Client, step: Step, indexes: CreatedIndex[]): Promise<void> {
  for (const index of indexes) {
    const invalid = await invalidIndexOn(client, index.table, index.name);
    if (!invalid) continue;
    throw new MigrationInvalidIndexError(
      `${step.file}:${index.statement.line}: index ${invalid.qualified} is INVALID after the migration ran; it was not recorded as applied`,
      'run `db migrate` again: it drops and rebuilds the invalid index (or find what invalidated it, e.g. a concurrent DROP or REINDEX)',
    );
  }
}

/** The file's statements; a syntax error is reported with its line and column before anything runs. */
async function statementsOf(file: string, fileText: string): Promise<SqlStatement[]> {
  try {
    return await parseStatements(fileText);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    const position = { file, line: error.line, column: error.column, excerpt: caretExcerpt(fileText, error.index) };
    throw new MigrationFailedError(file, `syntax error: ${error.message}`, '42601', position, undefined, undefined, error);
  }
}

async function runStatement(client: pg.Client, file: string, statement: SqlStatement, fileText: string): Promise<void> {
  try {
    await client.query(statement.text);
  } catch (error) {
    throw toMigrationError(error, file, statement.start, fileText);
  }
}

/**
 * A server error as a MigrationFailedError at its place in the file. The server's position is
 * 1-based and counts characters of the query sent, which began at `startInFile` (a UTF-16 index).
 */
function toMigrationError(
  error: unknown,
  file: string,
  startInFile: number,
  fileText: string,
  parserMissing?: OptionalPackageMissingError,
): unknown {
  const e = error as { code?: string; message?: string; position?: string; detail?: string; hint?: string };
  if (typeof e.code !== 'string' || isLockTimeout(error)) return error;
  // Without a server position, point at the start of the failing statement.
  const index = e.position ? indexAfterCodePoints(fileText, startInFile, Number(e.position) - 1) : startInFile;
  const position = fileText ? { file, ...lineAndColumn(fileText, index), excerpt: caretExcerpt(fileText, index) } : undefined;
  const hint = parserMissing
    ? `${e.hint ?? 'fix the migration and run `db migrate` again; the failed migration was rolled back'}; to see its line, ${parserMissing.hint}`
    : e.hint;
  return new MigrationFailedError(file, e.message ?? String(error), e.code, position, e.detail, hint, error);
}

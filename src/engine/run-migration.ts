import type pg from 'pg';
import { MigrationFailedError, MigrationInvalidIndexError, MigrationLockTimeoutError } from '../errors.js';
import { caretExcerpt, lineAndColumn, splitStatements, type SqlStatement } from '../sql/parse.js';
import type { MigrationFile } from './files.js';
import { recordApplied, recordReverted } from './history.js';

/** Per-migration safety limits (see `db migrate --help`). */
export interface MigrationLimits {
  /** lock_timeout for every statement of a migration, so DDL never queues behind a long transaction. */
  lockTimeoutMs: number;
  /** statement_timeout; 0 = off. */
  statementTimeoutMs: number;
  /** How many times a migration that hit lock_timeout is retried (after the first attempt). */
  lockRetries: number;
  /** First backoff between attempts; doubles each time. */
  retryBackoffMs: number;
}

export type MigrationEvent =
  | { type: 'start'; direction: 'up' | 'down'; migration: MigrationFile }
  | { type: 'done'; direction: 'up' | 'down'; migration: MigrationFile; durationMs: number }
  | { type: 'retry'; migration: MigrationFile; attempt: number; waitMs: number };

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
  const started = performance.now();
  const step = stepFor(migration, direction);
  if (!step.transactional) {
    await runOutsideTransaction(client, migration, step, direction, limits, started);
  } else {
    for (let attempt = 0; ; attempt++) {
      try {
        await runInTransaction(client, migration, step, direction, limits, started);
        break;
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        if (attempt >= limits.lockRetries) {
          throw new MigrationLockTimeoutError(step.file, attempt + 1, limits.lockTimeoutMs, await describeBlockers(client));
        }
        const waitMs = limits.retryBackoffMs * 2 ** attempt;
        onEvent({ type: 'retry', migration, attempt: attempt + 1, waitMs });
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }
  const durationMs = performance.now() - started;
  onEvent({ type: 'done', direction, migration, durationMs });
  return durationMs;
}

function stepFor(m: MigrationFile, direction: Direction): Step {
  if (direction === 'up') return { file: m.file, sql: m.sql!, transactional: m.transactional };
  return { file: m.down!.file, sql: m.down!.sql, transactional: m.down!.transactional };
}

async function applyLimits(client: pg.Client, limits: MigrationLimits, scope: 'LOCAL' | 'SESSION'): Promise<void> {
  // SET cannot take bind parameters; the values are integers we validated.
  await client.query(
    `SET ${scope} lock_timeout = ${Math.trunc(limits.lockTimeoutMs)}; SET ${scope} statement_timeout = ${Math.trunc(limits.statementTimeoutMs)}`,
  );
}

async function runInTransaction(
  client: pg.Client,
  m: MigrationFile,
  step: Step,
  direction: Direction,
  limits: MigrationLimits,
  started: number,
): Promise<void> {
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
  const statements = await statementsOf(step.file, step.sql);
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
 * `-- voipdb:no-transaction` migrations (CREATE INDEX CONCURRENTLY): each statement alone,
 * split by PostgreSQL's grammar. If one fails, an invalid index it left behind is dropped and
 * named in the error; statements before it stay applied, so such files should be idempotent.
 */
async function runOutsideTransaction(
  client: pg.Client,
  m: MigrationFile,
  step: Step,
  direction: Direction,
  limits: MigrationLimits,
  started: number,
): Promise<void> {
  const statements = await statementsOf(step.file, step.sql);
  await applyLimits(client, limits, 'SESSION');
  try {
    for (const statement of statements) {
      const before = await invalidIndexes(client);
      try {
        await runStatement(client, step.file, statement.text, statement.start, step.sql);
      } catch (error) {
        const left = (await invalidIndexes(client)).filter((name) => !before.includes(name));
        for (const name of left) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
        if (left.length > 0 && error instanceof MigrationFailedError) {
          throw new MigrationInvalidIndexError(
            `${error.message}; the invalid index ${left.join(', ')} it left behind was dropped`,
            'fix the cause (often duplicate rows for a UNIQUE index) and run `db migrate` again',
            { cause: error },
          );
        }
        throw error;
      }
    }
    if (direction === 'up') await recordApplied(client, m, performance.now() - started);
    else await recordReverted(client, m.version);
  } finally {
    await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined);
  }
}

/** Invalid indexes as quoted qualified names, for spotting the one a failed CONCURRENTLY left. */
async function invalidIndexes(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT i.indisvalid ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

/** The file's statements; a syntax error is reported with its line and column before anything runs. */
async function statementsOf(file: string, fileText: string): Promise<SqlStatement[]> {
  try {
    return await splitStatements(fileText);
  } catch (error) {
    const cursor = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    const offset = Math.max(0, cursor ?? 0);
    throw new MigrationFailedError(
      file,
      `syntax error: ${(error as Error).message}`,
      '42601',
      { file, ...lineAndColumn(fileText, offset), excerpt: caretExcerpt(fileText, offset) },
      undefined,
      undefined,
      error,
    );
  }
}

async function runStatement(client: pg.Client, file: string, sql: string, start: number, fileText: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    throw toMigrationError(error, file, start, fileText);
  }
}

function toMigrationError(error: unknown, file: string, offsetInFile: number, fileText: string): unknown {
  const e = error as { code?: string; message?: string; position?: string; detail?: string; hint?: string };
  if (typeof e.code !== 'string' || isLockTimeout(error)) return error;
  // Without a server position, point at the start of the failing statement.
  const offset = offsetInFile + (e.position ? Number(e.position) - 1 : 0);
  const position = fileText ? { file, ...lineAndColumn(fileText, offset), excerpt: caretExcerpt(fileText, offset) } : undefined;
  return new MigrationFailedError(file, e.message ?? String(error), e.code, position, e.detail, e.hint, error);
}

function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string }).code === '55P03';
}

async function describeBlockers(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; usename: string; state: string; since: string }>(
    `SELECT pid, usename, state, to_char(xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC' AS since
       FROM pg_stat_activity
      WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()
      ORDER BY xact_start LIMIT 3`,
  );
  return rows.map((r) => `pid ${r.pid} (${r.usename}, ${r.state}, transaction open since ${r.since})`).join('; ');
}

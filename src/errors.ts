/**
 * The kernel every area's errors build on. Every failure a user can act on is one class, in an
 * errors.ts beside the area that raises it: a stable `code` that scripts can match, a one-line
 * `message`, a `hint` naming the next step, and the CLI `exitCode` it maps to. Nothing below the
 * CLI prints; it throws one of these and the CLI renders it. Only what every area shares is here:
 * the exit codes, the base class, bad input in general (UsageError) and a server's own refusal
 * (DatabaseError).
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

/** A VoipdbError whose code and exit code are set: what `failure` makes. */
export interface Failure extends VoipdbError {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
}

/** The base `failure` gives a concrete error class: VoipdbError's constructor, code and exit code set. */
export type FailureClass = new (message: string, hint: string, options?: { cause?: unknown }) => Failure;

/**
 * The base of one failure: `class XError extends failure('X', ExitCode.usage) { ... }` gives XError
 * its stable code and its exit code in its header, where a reader looks for them. The code is a
 * literal, never derived from the class name, so a service that bundles and minifies still sees it.
 */
export function failure(code: string, exitCode: ExitCodeValue): FailureClass {
  return class extends VoipdbError {
    readonly code: string = code;
    readonly exitCode: ExitCodeValue = exitCode;
  };
}

/** Bad input that no more specific class names (a value out of range, a wrong combination). */
export class UsageError extends failure('USAGE', ExitCode.usage) {}

/**
 * A PostgreSQL error that no more specific class explains (a permission, a constraint, a server
 * that went away mid-query): its SQLSTATE, detail and hint as the server gave them.
 */
export class DatabaseError extends failure('DATABASE', ExitCode.database) {
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

export function isVoipdbError(e: unknown): e is VoipdbError {
  return e instanceof VoipdbError;
}

/** Whether `e` is our error with this code, current or former (for scripts written against the old codes). */
export function hasCode(e: unknown, code: string): boolean {
  return e instanceof VoipdbError && (e.code === code || e.formerCodes.includes(code));
}

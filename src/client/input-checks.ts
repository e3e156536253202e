import type { InputProblem } from './errors.js';

/**
 * Checks of values handed to the client functions, for callers the TypeScript types do not
 * reach (JavaScript, JSON off the wire). Each returns a problem phrase or undefined; the
 * callers collect them into one ClientInputInvalidError.
 */
export type Check = (value: unknown) => string | undefined;

/** "string", "null", "an invalid Date"...: what a value is, never the value (it may be a password). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  return typeof value;
}

export const nonEmptyString: Check = (v) => {
  if (typeof v !== 'string') return `must be a string, got ${kindOf(v)}`;
  if (v.length === 0) return 'must not be empty';
  return v.includes('\u0000') ? 'must not contain NUL characters' : undefined;
};

/**
 * A SIP password or voicemail PIN. Only its digest hashes are computed here and stored, so
 * PostgreSQL never sees it; what rules out NUL is the other end: SIP phones and FreeSWITCH take a
 * password or PIN as a C string, which ends at the first NUL, so such a secret could never be
 * entered or authenticate.
 */
export const sipSecret: Check = (v) => {
  if (typeof v !== 'string') return `must be a string, got ${kindOf(v)}`;
  if (v.length === 0) return 'must not be empty';
  return v.includes('\u0000')
    ? 'must not contain NUL: SIP phones and FreeSWITCH end a password or PIN at the first NUL, so it could never authenticate'
    : undefined;
};

/** Half of a UTF-16 surrogate pair alone: with the u flag a whole pair is one code point, not a surrogate. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * A text column: a string without NUL (PostgreSQL text cannot hold one) and without a lone
 * surrogate (UTF-8 cannot say one: pg sent U+FFFD in its place, JSON sends an escape the server
 * refuses), at most `max` characters.
 */
export function text(max?: number): Check {
  return (v) => {
    if (typeof v !== 'string') return `must be a string, got ${kindOf(v)}`;
    if (v.includes('\u0000')) return 'must not contain NUL characters';
    if (LONE_SURROGATE.test(v)) return 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)';
    // Characters as PostgreSQL's length() counts them (code points, not UTF-16 units); a string
    // of at most `max` UTF-16 units has at most `max` code points, so most need no counting.
    if (max !== undefined && v.length > max) {
      const length = [...v].length;
      if (length > max) return `must be at most ${max} characters, got ${length}`;
    }
    return undefined;
  };
}

export const validDate: Check = (v) =>
  v instanceof Date && !Number.isNaN(v.getTime()) ? undefined : `must be a valid Date, got ${kindOf(v)}`;

const UUID = /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

export const uuid: Check = (v) => {
  if (typeof v !== 'string') return `must be a UUID string, got ${kindOf(v)}`;
  return UUID.test(v) ? undefined : 'must be a UUID such as 6f1c2a4e-0b1d-4c57-9a3e-2f5d8c7b9e10';
};

/** A whole number within [min, max] (integer columns: int4 unless told). */
export function wholeNumber(min: number, max = 2_147_483_647): Check {
  return (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a whole number, got ${kindOf(v)}`;
    return v < min || v > max ? `must be from ${min} to ${max}, got ${v}` : undefined;
  };
}

export function oneOf(values: readonly string[]): Check {
  return (v) => (typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.map((x) => `'${x}'`).join(', ')}`);
}

/** The check, or also null/undefined for optional fields. */
export function optional(check: Check): Check {
  return (v) => (v === null || v === undefined ? undefined : check(v));
}

/** Runs `checks` on the fields of `input` and appends what fails, with the batch index if given. */
export function checkFields(input: unknown, checks: Readonly<Record<string, Check>>, problems: InputProblem[], index?: number): void {
  const at = index === undefined ? {} : { index };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push({ ...at, field: index === undefined ? 'input' : 'item', problem: `must be an object, got ${kindOf(input)}` });
    return;
  }
  const record = input as Record<string, unknown>;
  // for...in, not Object.entries: a batch of 5,000 CDRs would allocate 5,000 arrays of pairs.
  for (const field in checks) {
    const problem = checks[field]!(record[field]);
    if (problem !== undefined) problems.push({ ...at, field, problem });
  }
}

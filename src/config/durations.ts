/**
 * The longest duration a flag takes: PostgreSQL's lock_timeout and statement_timeout are int
 * milliseconds, and Node's timers hold the same range (about 24.8 days). A larger value is the
 * user's mistake, reported as such, not a server error mid-run.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** The largest count a flag takes unless it names a tighter bound: PostgreSQL's integer. */
export const MAX_COUNT = 2_147_483_647;

/**
 * Parses a duration flag: "500ms", "5s", "2min", or a bare number of seconds.
 * Returns milliseconds, or a problem string for the config report.
 */
export function parseDuration(raw: string, flag: string): { ms: number } | { problem: string } {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min)?$/.exec(raw.trim());
  if (!m) return { problem: `${flag} must be a duration such as 500ms, 5s or 2min, got "${raw}"` };
  const value = Number(m[1]);
  const factor = m[2] === 'ms' ? 1 : m[2] === 'min' ? 60_000 : 1_000;
  const ms = Math.round(value * factor);
  if (!(ms <= MAX_DURATION_MS)) {
    return { problem: `${flag} must be at most ${MAX_DURATION_MS} ms (about 24 days), got "${raw}"` };
  }
  return { ms };
}

export function parseCount(raw: string, flag: string, min = 0, max = MAX_COUNT): { n: number } | { problem: string } {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max)
    return { problem: `${flag} must be a whole number from ${min} to ${max}, got "${raw}"` };
  return { n };
}

/**
 * An optional count flag: undefined when absent or invalid, its problem (if any) returned for
 * the caller to report with the others at once.
 */
export function optionalCount(
  raw: string | undefined,
  flag: string,
  min = 0,
  max = MAX_COUNT,
): { n: number | undefined; problem?: string } {
  if (raw === undefined) return { n: undefined };
  const r = parseCount(raw, flag, min, max);
  return 'problem' in r ? { n: undefined, problem: r.problem } : { n: r.n };
}

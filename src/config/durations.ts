/**
 * Parses a duration flag: "500ms", "5s", "2min", or a bare number of seconds.
 * Returns milliseconds, or a problem string for the config report.
 */
export function parseDuration(raw: string, flag: string): { ms: number } | { problem: string } {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|min)?$/.exec(raw.trim());
  if (!m) return { problem: `${flag} must be a duration such as 500ms, 5s or 2min, got "${raw}"` };
  const value = Number(m[1]);
  const factor = m[2] === 'ms' ? 1 : m[2] === 'min' ? 60_000 : 1_000;
  return { ms: Math.round(value * factor) };
}

export function parseCount(raw: string, flag: string, min = 0): { n: number } | { problem: string } {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min)
    return { problem: `${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${raw}"` };
  return { n: Number(raw) };
}

/** Check results in the Nagios model that monitoring already understands. */
export type Severity = 'ok' | 'warning' | 'critical' | 'unknown';

/** Nagios plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
export const NAGIOS_CODE: Record<Severity, 0 | 1 | 2 | 3> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

/**
 * Overall severity: critical beats warning beats unknown beats ok. A known problem matters more
 * than a check that could not run, so a WARNING is not hidden behind an UNKNOWN.
 */
const RANK: Record<Severity, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worstSeverity(severities: Iterable<Severity>): Severity {
  let worst: Severity = 'ok';
  for (const s of severities) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** One finding of `db doctor`. `id` is stable for scripts: "setting.wal_level", "slot.node2_slot", ... */
export interface Check {
  id: string;
  severity: Severity;
  /** One line for humans: what was found and, when not ok, what to do. */
  summary: string;
  /** The measured values behind the summary (LSNs, bytes, seconds, setting values). */
  data?: Record<string, unknown>;
}

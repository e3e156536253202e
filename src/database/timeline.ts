import type pg from 'pg';

/**
 * Timelines: each promotion starts a new one, and the promoted server writes a history file
 * (pg_wal/<TLI as 8 hex digits>.history) listing every earlier timeline and the WAL position
 * where it was left ("1\t0/3000158\tno recovery target specified"). That position is the fork
 * point: what the old primary wrote on its timeline after it, the new primary never saw.
 */

export interface TimelineSwitch {
  /** The timeline that was left. */
  timeline: number;
  /** Where it was left (the first byte the new timeline does not share), as pg_lsn text. */
  switchLsn: string;
}

/** Parses a timeline history file; comment and blank lines are skipped. Throws on a malformed line. */
export function parseTimelineHistory(text: string): TimelineSwitch[] {
  const out: TimelineSwitch[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\d+)\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})\b/.exec(line);
    if (!m) throw new Error(`malformed timeline history line: ${JSON.stringify(line)}`);
    out.push({ timeline: Number(m[1]), switchLsn: m[2]!.toUpperCase() });
  }
  return out;
}

/** The 8-hex-digit timeline prefix of WAL file names. */
export function timelineFileName(timeline: number): string {
  return timeline.toString(16).toUpperCase().padStart(8, '0');
}

/**
 * A primary's current timeline: the first 8 hex digits of the WAL file it writes now. (The
 * control file's checkpoint timeline lags behind after a promotion until the next checkpoint.)
 * Null on a standby.
 */
export async function readPrimaryTimeline(client: pg.ClientBase): Promise<number | null> {
  const { rows } = await client.query<{ tli: string | null }>(
    'SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS tli',
  );
  return rows[0]!.tli === null ? null : Number.parseInt(rows[0]!.tli, 16);
}

/**
 * The history of `timeline` as the server keeps it: [] for timeline 1 (it has none), undefined
 * when the file cannot be read (pg_read_file needs a superuser or an EXECUTE grant; a role that
 * lacks it gets undefined, not an error).
 */
export async function readTimelineHistory(client: pg.ClientBase, timeline: number): Promise<TimelineSwitch[] | undefined> {
  if (timeline <= 1) return [];
  try {
    // The four-argument form: PostgreSQL 15 has no (filename, missing_ok) one.
    const { rows } = await client.query<{ text: string | null }>('SELECT pg_read_file($1, 0, 16777216, true) AS text', [
      `pg_wal/${timelineFileName(timeline)}.history`,
    ]);
    return rows[0]!.text === null ? undefined : parseTimelineHistory(rows[0]!.text);
  } catch {
    return undefined;
  }
}

/** Where `history` (of a newer timeline) left `timeline`; undefined when that timeline is not one of its ancestors. */
export function forkPointOf(history: readonly TimelineSwitch[], timeline: number): string | undefined {
  return history.find((s) => s.timeline === timeline)?.switchLsn;
}

/** pg_lsn text to a number of bytes (exact up to 2^53, about 8 PB of WAL). */
export function lsnToBytes(lsn: string): number {
  const [hi = '0', lo = '0'] = lsn.split('/');
  return Number.parseInt(hi, 16) * 2 ** 32 + Number.parseInt(lo, 16);
}

import type pg from 'pg';
import type { Check } from './severity.js';

/**
 * pg_rewind can turn a failed primary back into a standby by copying only the blocks changed
 * after the fork, but only if the cluster logs full pages after hint-bit changes: data checksums
 * (PostgreSQL 18's initdb default) or wal_log_hints = on. Without either, `db rejoin` has to copy
 * the whole database again. Checked on both nodes, since either may be the one that rejoins.
 */
export async function readRewindSettings(client: pg.ClientBase): Promise<{ dataChecksums: string; walLogHints: string }> {
  const { rows } = await client.query<{ checksums: string; hints: string }>(
    "SELECT current_setting('data_checksums') AS checksums, current_setting('wal_log_hints') AS hints",
  );
  return { dataChecksums: rows[0]!.checksums, walLogHints: rows[0]!.hints };
}

export function evaluateRewind(s: { dataChecksums: string; walLogHints: string }): Check[] {
  const data = { dataChecksums: s.dataChecksums, walLogHints: s.walLogHints };
  if (s.dataChecksums === 'on' || s.walLogHints === 'on') {
    return [
      {
        id: 'setting.wal_log_hints',
        severity: 'ok',
        summary: `${s.dataChecksums === 'on' ? 'data checksums on' : 'wal_log_hints = on'}: pg_rewind can rejoin this node after a failover`,
        data,
      },
    ];
  }
  return [
    {
      id: 'setting.wal_log_hints',
      severity: 'warning',
      summary:
        'wal_log_hints = off and no data checksums: after a failover this node can only rejoin by a full re-clone; set wal_log_hints = on (restart)',
      data,
    },
  ];
}

import type pg from 'pg';
import { readNodeInfo } from '../database/node-role.js';
import { readPrimaryTimeline, readTimelineHistory, type TimelineSwitch } from '../database/timeline.js';

/**
 * What the split-brain checks need to know of one node: is it a primary, on which timeline, at
 * which WAL position, is it fenced, and which cluster it belongs to. Read the same way from this
 * node and from its peer.
 */
export interface NodeState {
  inRecovery: boolean;
  /** A primary's current timeline (its WAL file); a standby's last restartpoint timeline. */
  timeline: number;
  /** A primary's current WAL position, a standby's replay position. */
  lsn: string | null;
  systemIdentifier: string;
  /** Null when this role may not read primary_conninfo (it can hold a password: superuser or pg_read_all_settings). */
  hasPrimaryConninfo: boolean | null;
  /** A WAL receiver runs (a standby that is replicating from someone). */
  receiving: boolean;
  /** default_transaction_read_only = on: writes refused unless a session turns it off. */
  defaultReadOnly: boolean;
  /** The history of a primary's timeline; undefined when it cannot be read. */
  history: TimelineSwitch[] | undefined;
}

export async function readNodeState(client: pg.ClientBase): Promise<NodeState> {
  const node = await readNodeInfo(client);
  const { rows } = await client.query<{
    sysid: string;
    checkpoint_tli: number;
    lsn: string | null;
    read_only: string;
    receiving: boolean;
  }>(
    `SELECT (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
            (SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_tli,
            (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
            current_setting('default_transaction_read_only') AS read_only,
            EXISTS (SELECT 1 FROM pg_stat_wal_receiver) AS receiving`,
  );
  const r = rows[0]!;
  let hasPrimaryConninfo: boolean | null = null;
  try {
    // Only whether it is set: the value may carry the replication password.
    const { rows: c } = await client.query<{ set: boolean }>("SELECT current_setting('primary_conninfo') <> '' AS set");
    hasPrimaryConninfo = c[0]!.set;
  } catch {
    hasPrimaryConninfo = null;
  }
  const inRecovery = node.role === 'standby';
  const timeline = inRecovery ? r.checkpoint_tli : ((await readPrimaryTimeline(client)) ?? r.checkpoint_tli);
  return {
    inRecovery,
    timeline,
    lsn: r.lsn,
    systemIdentifier: r.sysid,
    hasPrimaryConninfo,
    receiving: r.receiving,
    defaultReadOnly: r.read_only === 'on',
    history: inRecovery ? undefined : await readTimelineHistory(client, timeline),
  };
}

/**
 * How a node stops writes after losing its place (fencing): it runs in standby mode with no
 * primary_conninfo (read-only, replicating from nobody, and no session can write), or as a
 * primary with default_transaction_read_only = on (writes refused, but a session may turn it off).
 */
export type Fence = 'standby-mode' | 'read-only' | null;

export function fenceOf(s: NodeState): Fence {
  if (s.inRecovery) return s.hasPrimaryConninfo === false && !s.receiving ? 'standby-mode' : null;
  return s.defaultReadOnly ? 'read-only' : null;
}

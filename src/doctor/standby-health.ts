import type pg from 'pg';
import type { Check } from './severity.js';
import { formatBytes } from './size.js';
import type { LagThresholds } from './thresholds.js';

/** What a hot standby reports about itself, read from the server and judged by pure functions. */
export interface StandbyState {
  hotStandby: string;
  hotStandbyFeedback: string;
  primarySlotName: string;
  replayPaused: boolean;
  receiveLsn: string | null;
  replayLsn: string | null;
  /** received − replayed, in bytes; null when nothing was received by streaming yet. */
  lagBytes: number | null;
  /**
   * Seconds since the last replayed transaction, counted only while received WAL waits to be
   * replayed (repmgr's rule): on an idle primary nothing waits, so that is 0, not "hours behind".
   */
  lagSeconds: number | null;
  lastReplayAt: string | null;
  receiver: null | {
    /** NULL when the checking role lacks pg_read_all_stats / pg_monitor (only the pid is shown). */
    status: string | null;
    slotName: string | null;
    senderHost: string | null;
    senderPort: number | null;
    receivedTli: number | null;
    flushedLsn: string | null;
  };
}

const STANDBY_SQL = `
SELECT current_setting('hot_standby') AS hot_standby,
       current_setting('hot_standby_feedback') AS hot_standby_feedback,
       current_setting('primary_slot_name') AS primary_slot_name,
       pg_is_wal_replay_paused() AS replay_paused,
       pg_last_wal_receive_lsn()::text AS receive_lsn,
       pg_last_wal_replay_lsn()::text AS replay_lsn,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::text AS lag_bytes,
       CASE WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8 END AS lag_seconds,
       pg_last_xact_replay_timestamp()::text AS last_replay_at`;

// conninfo is left out on purpose: it may carry the replication password.
const RECEIVER_SQL = `
SELECT status, slot_name, sender_host, sender_port, received_tli, flushed_lsn::text
  FROM pg_stat_wal_receiver`;

export async function readStandbyState(client: pg.ClientBase): Promise<StandbyState> {
  const { rows } = await client.query<{
    hot_standby: string;
    hot_standby_feedback: string;
    primary_slot_name: string;
    replay_paused: boolean;
    receive_lsn: string | null;
    replay_lsn: string | null;
    lag_bytes: string | null;
    lag_seconds: number | null;
    last_replay_at: string | null;
  }>(STANDBY_SQL);
  const r = rows[0]!;
  const receiver = (
    await client.query<{
      status: string | null;
      slot_name: string | null;
      sender_host: string | null;
      sender_port: number | null;
      received_tli: number | null;
      flushed_lsn: string | null;
    }>(RECEIVER_SQL)
  ).rows[0];
  return {
    hotStandby: r.hot_standby,
    hotStandbyFeedback: r.hot_standby_feedback,
    primarySlotName: r.primary_slot_name,
    replayPaused: r.replay_paused,
    receiveLsn: r.receive_lsn,
    replayLsn: r.replay_lsn,
    lagBytes: r.lag_bytes === null ? null : Math.max(0, Number(r.lag_bytes)),
    lagSeconds: r.lag_seconds,
    lastReplayAt: r.last_replay_at,
    receiver:
      receiver === undefined
        ? null
        : {
            status: receiver.status,
            slotName: receiver.slot_name,
            senderHost: receiver.sender_host,
            senderPort: receiver.sender_port,
            receivedTli: receiver.received_tli,
            flushedLsn: receiver.flushed_lsn,
          },
  };
}

export function evaluateStandby(s: StandbyState, thresholds: LagThresholds, expectedSlot: string): Check[] {
  const checks: Check[] = [];
  checks.push({
    id: 'standby.recovery',
    severity: 'ok',
    summary: 'in recovery: this node is a hot standby (read-only)',
    data: { inRecovery: true },
  });
  checks.push(
    s.hotStandby === 'on'
      ? { id: 'setting.hot_standby', severity: 'ok', summary: 'hot_standby = on', data: { value: s.hotStandby } }
      : {
          id: 'setting.hot_standby',
          severity: 'critical',
          summary: `hot_standby = ${s.hotStandby}: the services on this node cannot read; set it on and restart`,
          data: { value: s.hotStandby },
        },
  );
  checks.push(
    s.hotStandbyFeedback === 'on'
      ? { id: 'setting.hot_standby_feedback', severity: 'ok', summary: 'hot_standby_feedback = on', data: { value: s.hotStandbyFeedback } }
      : {
          id: 'setting.hot_standby_feedback',
          severity: 'warning',
          summary: `hot_standby_feedback = ${s.hotStandbyFeedback}: VACUUM on the primary can cancel reads here (SQLSTATE 40001); set it on (reload)`,
          data: { value: s.hotStandbyFeedback },
        },
  );
  if (s.primarySlotName === '') {
    checks.push({
      id: 'setting.primary_slot_name',
      severity: 'warning',
      summary: `primary_slot_name is empty: the primary may remove WAL this standby still needs; set it to '${expectedSlot}' (reload)`,
      data: { value: '' },
    });
  } else if (s.primarySlotName !== expectedSlot) {
    checks.push({
      id: 'setting.primary_slot_name',
      severity: 'warning',
      summary: `primary_slot_name = ${s.primarySlotName}, the platform expects ${expectedSlot}`,
      data: { value: s.primarySlotName },
    });
  } else {
    checks.push({
      id: 'setting.primary_slot_name',
      severity: 'ok',
      summary: `primary_slot_name = ${s.primarySlotName}`,
      data: { value: s.primarySlotName },
    });
  }

  const rx = s.receiver;
  if (rx === null) {
    checks.push({
      id: 'standby.wal_receiver',
      severity: 'critical',
      summary:
        'no WAL receiver: this standby is not connected to the primary; check primary_conninfo, the primary and pg_hba (see the server log)',
      data: { status: null },
    });
  } else if (rx.status === null) {
    checks.push({
      id: 'standby.wal_receiver',
      severity: 'unknown',
      summary: 'a WAL receiver runs, but this role may not see its status: run doctor as a member of pg_monitor',
      data: { ...rx },
    });
  } else if (rx.status !== 'streaming') {
    checks.push({
      id: 'standby.wal_receiver',
      severity: 'critical',
      summary: `WAL receiver is ${rx.status}, not streaming from ${rx.senderHost ?? '?'}:${rx.senderPort ?? '?'}`,
      data: { ...rx },
    });
  } else {
    checks.push({
      id: 'standby.wal_receiver',
      severity: 'ok',
      summary: `streaming from ${rx.senderHost ?? '?'}:${rx.senderPort ?? '?'} via slot ${rx.slotName ?? '(none)'}, timeline ${rx.receivedTli ?? '?'}`,
      data: { ...rx },
    });
  }

  const lagData = {
    receiveLsn: s.receiveLsn,
    replayLsn: s.replayLsn,
    lagBytes: s.lagBytes,
    lagSeconds: s.lagSeconds,
    lastReplayAt: s.lastReplayAt,
    replayPaused: s.replayPaused,
  };
  const pausedNote = s.replayPaused ? ' (replay is paused: SELECT pg_wal_replay_resume())' : '';
  const bytesOver = s.lagBytes !== null && s.lagBytes > thresholds.maxLagBytes;
  checks.push(
    bytesOver
      ? {
          id: 'standby.lag_bytes',
          severity: 'critical',
          summary: `${formatBytes(s.lagBytes!)} received but not replayed (limit ${formatBytes(thresholds.maxLagBytes)})${pausedNote}`,
          data: lagData,
        }
      : {
          id: 'standby.lag_bytes',
          severity: 'ok',
          summary: `${s.lagBytes === null ? 'nothing received by streaming yet' : `${formatBytes(s.lagBytes)} waiting for replay`}`,
          data: lagData,
        },
  );
  const secondsOver = s.lagSeconds !== null && s.lagSeconds > thresholds.maxLagSeconds;
  checks.push(
    secondsOver
      ? {
          id: 'standby.lag_seconds',
          severity: 'critical',
          summary: `replay is ${s.lagSeconds!.toFixed(1)} s behind (limit ${thresholds.maxLagSeconds} s)${pausedNote}`,
          data: lagData,
        }
      : {
          id: 'standby.lag_seconds',
          severity: 'ok',
          summary: `replay lag ${(s.lagSeconds ?? 0).toFixed(1)} s (only counted while received WAL waits)`,
          data: lagData,
        },
  );
  if (s.replayPaused) {
    checks.push({
      id: 'standby.replay_paused',
      severity: 'warning',
      summary: 'WAL replay is paused: changes from the primary are received but not applied; SELECT pg_wal_replay_resume()',
      data: { replayPaused: true },
    });
  }
  return checks;
}

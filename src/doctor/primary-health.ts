import type pg from 'pg';
import type { Check } from './severity.js';
import { formatBytes } from './size.js';
import type { LagThresholds } from './thresholds.js';

/**
 * What a primary must provide for node 2 to stream from it, read from the server and judged by
 * pure functions (tested without a server; the readers are tested on a real pair).
 */

// ------------------------------------------------------------------ settings

export interface SettingRow {
  name: string;
  value: string;
  setting: string;
}

export const REPLICATION_SETTINGS = ['wal_level', 'max_wal_senders', 'max_replication_slots', 'wal_keep_size'] as const;

export async function readReplicationSettings(client: pg.ClientBase): Promise<SettingRow[]> {
  const { rows } = await client.query<SettingRow>(
    'SELECT name, current_setting(name) AS value, setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name',
    [[...REPLICATION_SETTINGS]],
  );
  return rows;
}

/** One check per setting (archive_mode is judged with the archiver, in wal-archive-health.ts); `slotExists` says whether WAL is also held by a slot (wal_keep_size 0 is then fine). */
export function evaluateSettings(rows: SettingRow[], options: { slotExists: boolean }): Check[] {
  const get = (name: string): SettingRow | undefined => rows.find((r) => r.name === name);
  const checks: Check[] = [];
  const walLevel = get('wal_level')?.setting;
  checks.push(
    walLevel === 'replica' || walLevel === 'logical'
      ? { id: 'setting.wal_level', severity: 'ok', summary: `wal_level = ${walLevel}`, data: { value: walLevel } }
      : {
          id: 'setting.wal_level',
          severity: 'critical',
          summary: `wal_level = ${walLevel ?? '?'}: a standby cannot stream; set wal_level = replica and restart`,
          data: { value: walLevel },
        },
  );

  const senders = Number(get('max_wal_senders')?.setting ?? 0);
  checks.push({
    id: 'setting.max_wal_senders',
    data: { value: senders },
    ...(senders === 0
      ? { severity: 'critical', summary: 'max_wal_senders = 0: no standby can connect; set it to 10 and restart' }
      : senders < 2
        ? {
            severity: 'warning',
            summary: `max_wal_senders = ${senders}: no room to re-clone the standby while it streams; set it to 10 and restart`,
          }
        : { severity: 'ok', summary: `max_wal_senders = ${senders}` }),
  });

  const slots = Number(get('max_replication_slots')?.setting ?? 0);
  checks.push(
    slots === 0
      ? {
          id: 'setting.max_replication_slots',
          severity: 'critical',
          summary: 'max_replication_slots = 0: node2_slot cannot exist; set it to 10 and restart',
          data: { value: slots },
        }
      : { id: 'setting.max_replication_slots', severity: 'ok', summary: `max_replication_slots = ${slots}`, data: { value: slots } },
  );

  const keep = get('wal_keep_size');
  const keepZero = keep === undefined || Number(keep.setting) === 0;
  checks.push(
    keepZero && !options.slotExists
      ? {
          id: 'setting.wal_keep_size',
          severity: 'warning',
          summary: 'wal_keep_size = 0 and no replication slot: a standby that falls behind may find its WAL removed',
          data: { value: keep?.value ?? null },
        }
      : {
          id: 'setting.wal_keep_size',
          severity: 'ok',
          summary: `wal_keep_size = ${keep?.value ?? '0'}${keepZero ? ' (the slot holds WAL for the standby)' : ''}`,
          data: { value: keep?.value ?? null },
        },
  );

  return checks;
}

// ------------------------------------------------------------------ slots

export interface SlotRow {
  slot_name: string;
  slot_type: string;
  active: boolean;
  wal_status: string | null;
  /** Bytes of WAL the slot holds back (current LSN − restart_lsn); null when it holds none. */
  retained_bytes: string | null;
  /** Columns that only newer servers have (PG 17+: inactive_since, invalidation_reason). */
  extra: { inactive_since?: string | null; invalidation_reason?: string | null };
}

export async function readSlots(client: pg.ClientBase): Promise<SlotRow[]> {
  // to_jsonb(s) so one query serves PG 15 and 18, whose pg_replication_slots columns differ.
  const { rows } = await client.query<SlotRow>(`
    SELECT s.slot_name, s.slot_type, s.active, s.wal_status,
           pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::text AS retained_bytes,
           jsonb_build_object('inactive_since', to_jsonb(s) -> 'inactive_since', 'invalidation_reason', to_jsonb(s) -> 'invalidation_reason') AS extra
      FROM pg_replication_slots s
     ORDER BY s.slot_name`);
  return rows;
}

/** Each slot, plus the expected ones that are missing. An inactive physical slot is CRITICAL (repmgr's rule): it retains WAL without bound. */
export function evaluateSlots(rows: SlotRow[], expected: string[]): Check[] {
  const checks: Check[] = [];
  for (const name of expected) {
    if (!rows.some((r) => r.slot_name === name)) {
      checks.push({
        id: `slot.${name}`,
        severity: 'critical',
        summary: `replication slot ${name} does not exist: create it with SELECT pg_create_physical_replication_slot('${name}', true), then re-clone the standby`,
        data: { exists: false },
      });
    }
  }
  for (const r of rows) {
    const retained = r.retained_bytes === null ? null : Number(r.retained_bytes);
    const data = { exists: true, type: r.slot_type, active: r.active, walStatus: r.wal_status, retainedBytes: retained, ...r.extra };
    const held = retained === null ? 'no WAL held' : `holds ${formatBytes(retained)} of WAL`;
    if (r.wal_status === 'lost') {
      checks.push({
        id: `slot.${r.slot_name}`,
        severity: 'critical',
        summary: `slot ${r.slot_name} lost its WAL${r.extra.invalidation_reason ? ` (${r.extra.invalidation_reason})` : ''}: the standby cannot resume; re-clone it and recreate the slot`,
        data,
      });
    } else if (r.slot_type === 'physical' && !r.active) {
      checks.push({
        id: `slot.${r.slot_name}`,
        severity: 'critical',
        summary: `slot ${r.slot_name} is inactive and ${held}${r.extra.inactive_since ? ` (inactive since ${r.extra.inactive_since})` : ''}: start the standby, or drop the slot if that standby is gone for good`,
        data,
      });
    } else if (r.wal_status === 'unreserved') {
      checks.push({
        id: `slot.${r.slot_name}`,
        severity: 'warning',
        summary: `slot ${r.slot_name} ${held}, past max_slot_wal_keep_size: its WAL will be removed at the next checkpoint`,
        data,
      });
    } else {
      checks.push({
        id: `slot.${r.slot_name}`,
        severity: 'ok',
        summary: `slot ${r.slot_name} ${r.active ? 'active' : 'inactive'}, wal_status ${r.wal_status ?? '-'}, ${held}`,
        data,
      });
    }
  }
  return checks;
}

// ------------------------------------------------------------------ connected standbys

export interface ReplicationRow {
  application_name: string;
  /** NULL (with every position) when the checking role lacks pg_read_all_stats / pg_monitor. */
  state: string | null;
  sync_state: string | null;
  client_addr: string | null;
  sent_lsn: string | null;
  write_lsn: string | null;
  flush_lsn: string | null;
  replay_lsn: string | null;
  /** Bytes between the primary's current position and the standby's replay position. */
  replay_lag_bytes: string | null;
  /** pg_stat_replication.replay_lag in seconds; NULL when the standby is caught up and idle. */
  replay_lag_seconds: number | null;
}

export async function readReplication(client: pg.ClientBase): Promise<ReplicationRow[]> {
  const { rows } = await client.query<ReplicationRow>(`
    SELECT application_name, state, sync_state, client_addr::text,
           sent_lsn::text, write_lsn::text, flush_lsn::text, replay_lsn::text,
           pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::text AS replay_lag_bytes,
           extract(epoch FROM replay_lag)::float8 AS replay_lag_seconds
      FROM pg_stat_replication
     ORDER BY application_name, pid`);
  return rows;
}

export function evaluateReplication(rows: ReplicationRow[], thresholds: LagThresholds, expectStandby: boolean): Check[] {
  if (rows.length === 0) {
    return [
      {
        id: 'standbys',
        severity: expectStandby ? 'critical' : 'ok',
        summary: expectStandby
          ? 'no standby is streaming from this primary: check node 2 (is it running? `db doctor` there)'
          : 'no standby is streaming from this primary',
        data: { connected: 0 },
      },
    ];
  }
  return rows.map((r): Check => {
    const lagBytes = r.replay_lag_bytes === null ? null : Math.max(0, Number(r.replay_lag_bytes));
    const lagSeconds = r.replay_lag_seconds;
    const data = {
      applicationName: r.application_name,
      state: r.state,
      syncState: r.sync_state,
      clientAddr: r.client_addr,
      sentLsn: r.sent_lsn,
      writeLsn: r.write_lsn,
      flushLsn: r.flush_lsn,
      replayLsn: r.replay_lsn,
      lagBytes,
      lagSeconds,
    };
    const lagText = `replay ${lagBytes === null ? '?' : formatBytes(lagBytes)} behind${lagSeconds === null ? '' : `, ${lagSeconds.toFixed(1)} s`}`;
    const id = `standby.${r.application_name || r.client_addr || 'unnamed'}`;
    if (r.state === null) {
      return {
        id,
        severity: 'unknown',
        summary: `standby ${r.application_name} is connected, but this role may not see its state or positions: run doctor as a member of pg_monitor`,
        data,
      };
    }
    if ((lagBytes !== null && lagBytes > thresholds.maxLagBytes) || (lagSeconds !== null && lagSeconds > thresholds.maxLagSeconds)) {
      return {
        id,
        severity: 'critical',
        summary: `standby ${r.application_name} ${r.state}, ${lagText} (limits ${formatBytes(thresholds.maxLagBytes)}, ${thresholds.maxLagSeconds} s): is replay paused or the standby overloaded?`,
        data,
      };
    }
    if (r.state !== 'streaming') {
      return {
        id,
        severity: 'warning',
        summary: `standby ${r.application_name} is in state ${r.state}, not streaming yet (${lagText})`,
        data,
      };
    }
    return { id, severity: 'ok', summary: `standby ${r.application_name} streaming (${r.sync_state}), ${lagText}`, data };
  });
}

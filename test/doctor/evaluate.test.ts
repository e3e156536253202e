import { describe, expect, it } from 'vitest';
import { evaluateMigrations } from '../../src/doctor/migration-health.js';
import {
  evaluateReplication,
  evaluateSettings,
  evaluateSlots,
  type ReplicationRow,
  type SettingRow,
  type SlotRow,
} from '../../src/doctor/primary-health.js';
import { NAGIOS_CODE, worstSeverity } from '../../src/doctor/severity.js';
import { evaluateStandby, type StandbyState } from '../../src/doctor/standby-health.js';
import { DEFAULT_THRESHOLDS } from '../../src/doctor/thresholds.js';

// The judging half of `db doctor`, on rows shaped like the server's. The reading half runs on a
// real pair in doctor-pair.test.ts.

const MB = 1024 * 1024;
const sev = (checks: Array<{ id: string; severity: string }>, id: string): string | undefined => checks.find((c) => c.id === id)?.severity;

describe('overall severity and Nagios codes', () => {
  it('critical beats warning beats unknown beats ok', () => {
    expect(worstSeverity([])).toBe('ok');
    expect(worstSeverity(['ok', 'unknown'])).toBe('unknown');
    expect(worstSeverity(['unknown', 'warning', 'ok'])).toBe('warning');
    expect(worstSeverity(['warning', 'critical', 'unknown'])).toBe('critical');
    expect(NAGIOS_CODE).toEqual({ ok: 0, warning: 1, critical: 2, unknown: 3 });
  });
});

describe('primary settings', () => {
  const rows = (over: Record<string, string>): SettingRow[] =>
    Object.entries({
      wal_level: 'replica',
      max_wal_senders: '10',
      max_replication_slots: '10',
      wal_keep_size: '0',
      ...over,
    }).map(([name, setting]) => ({ name, setting, value: setting }));

  it('accepts the platform defaults when a slot holds WAL', () => {
    expect(evaluateSettings(rows({}), { slotExists: true }).every((c) => c.severity === 'ok')).toBe(true);
  });
  it('wal_level minimal, no senders, no slots are critical', () => {
    const checks = evaluateSettings(rows({ wal_level: 'minimal', max_wal_senders: '0', max_replication_slots: '0' }), {
      slotExists: false,
    });
    expect(sev(checks, 'setting.wal_level')).toBe('critical');
    expect(sev(checks, 'setting.max_wal_senders')).toBe('critical');
    expect(sev(checks, 'setting.max_replication_slots')).toBe('critical');
  });
  it('a single sender and no WAL retention at all are warnings', () => {
    const checks = evaluateSettings(rows({ max_wal_senders: '1' }), { slotExists: false });
    expect(sev(checks, 'setting.max_wal_senders')).toBe('warning');
    expect(sev(checks, 'setting.wal_keep_size')).toBe('warning');
  });
  // archive_mode is judged with the archiver: test/backup/backup-doctor-rules.test.ts.
});

describe('slots', () => {
  const slot = (over: Partial<SlotRow>): SlotRow => ({
    slot_name: 'node2_slot',
    slot_type: 'physical',
    active: true,
    wal_status: 'reserved',
    retained_bytes: '1024',
    extra: {},
    ...over,
  });
  it('an active reserved node2_slot is ok', () => {
    expect(evaluateSlots([slot({})], ['node2_slot'])).toMatchObject([{ id: 'slot.node2_slot', severity: 'ok' }]);
  });
  it('a missing node2_slot is critical', () => {
    expect(evaluateSlots([], ['node2_slot'])).toMatchObject([{ id: 'slot.node2_slot', severity: 'critical', data: { exists: false } }]);
  });
  it('an inactive physical slot is critical and says how much WAL it holds', () => {
    const [c] = evaluateSlots([slot({ active: false, retained_bytes: String(20 * MB) })], ['node2_slot']);
    expect(c).toMatchObject({ severity: 'critical', data: { active: false, retainedBytes: 20 * MB } });
    expect(c!.summary).toContain('20 MB');
  });
  it('lost is critical, unreserved a warning', () => {
    expect(evaluateSlots([slot({ wal_status: 'lost', active: false })], [])[0]!.severity).toBe('critical');
    expect(evaluateSlots([slot({ wal_status: 'unreserved' })], [])[0]!.severity).toBe('warning');
  });
});

describe('connected standbys (primary side)', () => {
  const row = (over: Partial<ReplicationRow>): ReplicationRow => ({
    application_name: 'node2',
    state: 'streaming',
    sync_state: 'async',
    client_addr: '127.0.0.1',
    sent_lsn: '0/3000000',
    write_lsn: '0/3000000',
    flush_lsn: '0/3000000',
    replay_lsn: '0/3000000',
    replay_lag_bytes: '0',
    replay_lag_seconds: null,
    ...over,
  });
  it('none connected is critical when a standby is expected', () => {
    expect(evaluateReplication([], DEFAULT_THRESHOLDS, true)[0]!.severity).toBe('critical');
    expect(evaluateReplication([], DEFAULT_THRESHOLDS, false)[0]!.severity).toBe('ok');
  });
  it('idle and caught up (replay_lag NULL) is ok', () => {
    expect(evaluateReplication([row({})], DEFAULT_THRESHOLDS, true)).toMatchObject([{ id: 'standby.node2', severity: 'ok' }]);
  });
  it('lag beyond either limit is critical; catchup state a warning', () => {
    expect(evaluateReplication([row({ replay_lag_bytes: String(11 * MB) })], DEFAULT_THRESHOLDS, true)[0]!.severity).toBe('critical');
    expect(evaluateReplication([row({ replay_lag_seconds: 5.5 })], DEFAULT_THRESHOLDS, true)[0]!.severity).toBe('critical');
    expect(
      evaluateReplication([row({ replay_lag_seconds: 4.9, replay_lag_bytes: String(9 * MB) })], DEFAULT_THRESHOLDS, true)[0]!.severity,
    ).toBe('ok');
    expect(evaluateReplication([row({ state: 'catchup' })], DEFAULT_THRESHOLDS, true)[0]!.severity).toBe('warning');
  });
});

describe('standby side', () => {
  const state = (over: Partial<StandbyState>): StandbyState => ({
    hotStandby: 'on',
    hotStandbyFeedback: 'on',
    primarySlotName: 'node2_slot',
    replayPaused: false,
    receiveLsn: '0/3000000',
    replayLsn: '0/3000000',
    lagBytes: 0,
    lagSeconds: 0,
    lastReplayAt: null,
    receiver: {
      status: 'streaming',
      slotName: 'node2_slot',
      senderHost: '172.16.91.101',
      senderPort: 5432,
      receivedTli: 1,
      flushedLsn: '0/3000000',
    },
    ...over,
  });
  it('a streaming, caught-up standby is all ok', () => {
    expect(evaluateStandby(state({}), DEFAULT_THRESHOLDS, 'node2_slot').every((c) => c.severity === 'ok')).toBe(true);
  });
  it('no receiver or a waiting receiver is critical', () => {
    expect(sev(evaluateStandby(state({ receiver: null }), DEFAULT_THRESHOLDS, 'node2_slot'), 'standby.wal_receiver')).toBe('critical');
    expect(
      sev(
        evaluateStandby(state({ receiver: { ...state({}).receiver!, status: 'waiting' } }), DEFAULT_THRESHOLDS, 'node2_slot'),
        'standby.wal_receiver',
      ),
    ).toBe('critical');
  });
  it('lag in bytes or seconds beyond the limits is critical; paused replay a warning', () => {
    const checks = evaluateStandby(state({ lagBytes: 12 * MB, lagSeconds: 30, replayPaused: true }), DEFAULT_THRESHOLDS, 'node2_slot');
    expect(sev(checks, 'standby.lag_bytes')).toBe('critical');
    expect(sev(checks, 'standby.lag_seconds')).toBe('critical');
    expect(sev(checks, 'standby.replay_paused')).toBe('warning');
    expect(checks.find((c) => c.id === 'standby.lag_bytes')!.summary).toContain('pg_wal_replay_resume');
  });
  it('feedback off and a missing or foreign slot name are warnings', () => {
    expect(
      sev(evaluateStandby(state({ hotStandbyFeedback: 'off' }), DEFAULT_THRESHOLDS, 'node2_slot'), 'setting.hot_standby_feedback'),
    ).toBe('warning');
    expect(sev(evaluateStandby(state({ primarySlotName: '' }), DEFAULT_THRESHOLDS, 'node2_slot'), 'setting.primary_slot_name')).toBe(
      'warning',
    );
    expect(sev(evaluateStandby(state({ primarySlotName: 'other' }), DEFAULT_THRESHOLDS, 'node2_slot'), 'setting.primary_slot_name')).toBe(
      'warning',
    );
  });
});

describe('migrations', () => {
  const applied = (version: number, over: { fileChanged?: boolean; fileMissing?: boolean } = {}) => ({
    version,
    name: `m${version}`,
    checksum: 'x',
    appliedAt: '',
    durationMs: 1,
    appliedBy: 'postgres',
    fileChanged: false,
    fileMissing: false,
    ...over,
  });
  it('pending is a warning, changed or missing files are critical', () => {
    const node = { role: 'primary' as const, serverVersion: '18.4' };
    expect(evaluateMigrations({ node, applied: [applied(1)], pending: [] }).map((c) => c.severity)).toEqual(['ok', 'ok']);
    const pending = evaluateMigrations({ node, applied: [applied(1)], pending: [{ version: 2, name: 'roles' }] });
    expect(pending[0]).toMatchObject({ severity: 'warning', data: { pending: ['0002_roles'] } });
    const bad = evaluateMigrations({ node, applied: [applied(1, { fileChanged: true }), applied(2, { fileMissing: true })], pending: [] });
    expect(bad[1]).toMatchObject({ severity: 'critical', data: { changed: ['0001_m1'], missing: ['0002_m2'] } });
  });
});

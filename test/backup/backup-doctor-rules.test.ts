import { describe, expect, it } from 'vitest';
import type { StanzaInfo } from '../../src/backup/pgbackrest.js';
import { compareVersions, pgbackrestTooOld } from '../../src/backup/versions.js';
import { evaluateBackups, pgbackrestUseOf } from '../../src/doctor/backup-health.js';
import { evaluateWalArchive, type WalArchiveState } from '../../src/doctor/wal-archive-health.js';

// The judging half of doctor's WAL-safety and backup checks, on states shaped like the server's and
// pgBackRest's. The reading half runs on real servers in backup-doctor.test.ts and backup-failover.test.ts.

const MB = 1024 * 1024;
const state = (over: Partial<WalArchiveState>): WalArchiveState => ({
  archiveMode: 'on',
  archiveCommand: 'pgbackrest --stanza=voipdb archive-push %p',
  archiveLibrary: '',
  maxWalSizeBytes: 1024 * MB,
  walKeepSizeBytes: 0,
  failedCount: 0,
  lastFailedAt: null,
  lastFailedWal: null,
  lastArchivedAt: '2026-12-05 10:00:00+00',
  lastArchivedWal: '000000010000000000000003',
  failing: false,
  readyCount: 0,
  walBytes: 64 * MB,
  ...over,
});
const severities = (checks: { id: string; severity: string }[]): Record<string, string> =>
  Object.fromEntries(checks.map((c) => [c.id, c.severity]));
const limits = { maxReadyWal: 32 };

describe('WAL archiving', () => {
  it('a healthy archiver is OK on both roles', () => {
    for (const role of ['primary', 'standby'] as const) {
      expect(severities(evaluateWalArchive(state({}), role, limits))).toEqual({
        'setting.archive_mode': 'ok',
        'archive.archiver': 'ok',
        'archive.ready': 'ok',
        'archive.pg_wal_size': 'ok',
      });
    }
  });

  it('archive_mode = on without archive_command or archive_library is CRITICAL on a primary, a warning on a standby', () => {
    const s = state({ archiveCommand: '' });
    expect(severities(evaluateWalArchive(s, 'primary', limits))['setting.archive_mode']).toBe('critical');
    const onStandby = evaluateWalArchive(s, 'standby', limits).find((c) => c.id === 'setting.archive_mode')!;
    expect(onStandby.severity).toBe('warning');
    expect(onStandby.summary).toContain('until it is promoted');
    // archive_library counts as a way out, as archive_command does.
    expect(
      severities(evaluateWalArchive(state({ archiveCommand: '', archiveLibrary: 'basic_archive' }), 'primary', limits))[
        'setting.archive_mode'
      ],
    ).toBe('ok');
  });

  it('archive_mode = always archives on a standby too: there a missing command is CRITICAL', () => {
    expect(
      severities(evaluateWalArchive(state({ archiveMode: 'always', archiveCommand: '' }), 'standby', limits))['setting.archive_mode'],
    ).toBe('critical');
  });

  it('failures newer than the last success are CRITICAL on a primary; older ones are history', () => {
    const failing = state({
      failing: true,
      failedCount: 3,
      lastFailedAt: '2026-12-05 11:00:00+00',
      lastFailedWal: '000000010000000000000004',
    });
    const checks = evaluateWalArchive(failing, 'primary', limits);
    expect(severities(checks)['archive.archiver']).toBe('critical');
    expect(checks.find((c) => c.id === 'archive.archiver')!.summary).toContain('000000010000000000000004');
    expect(severities(evaluateWalArchive(failing, 'standby', limits))['archive.archiver']).toBe('warning');
    expect(
      severities(evaluateWalArchive(state({ failedCount: 3, lastFailedAt: '2026-12-05 09:00:00+00' }), 'primary', limits))[
        'archive.archiver'
      ],
    ).toBe('ok');
  });

  it('.ready files past the limit are CRITICAL where the node archives', () => {
    expect(severities(evaluateWalArchive(state({ readyCount: 33 }), 'primary', limits))['archive.ready']).toBe('critical');
    expect(severities(evaluateWalArchive(state({ readyCount: 32 }), 'primary', limits))['archive.ready']).toBe('ok');
    expect(severities(evaluateWalArchive(state({ readyCount: 33 }), 'standby', limits))['archive.ready']).toBe('warning');
  });

  it('pg_wal beyond 2 x max_wal_size + wal_keep_size is a warning, never more', () => {
    const big = state({ maxWalSizeBytes: 64 * MB, walKeepSizeBytes: 32 * MB, walBytes: 161 * MB });
    expect(severities(evaluateWalArchive(big, 'primary', limits))['archive.pg_wal_size']).toBe('warning');
    expect(severities(evaluateWalArchive({ ...big, walBytes: 160 * MB }, 'primary', limits))['archive.pg_wal_size']).toBe('ok');
  });

  it('archive_mode = off is OK and says there is no point-in-time recovery', () => {
    const checks = evaluateWalArchive(state({ archiveMode: 'off', archiveCommand: '' }), 'primary', limits);
    expect(checks.map((c) => c.id)).toEqual(['setting.archive_mode', 'archive.pg_wal_size']);
    expect(checks[0]!.summary).toContain('no point-in-time recovery');
  });
});

describe('pgBackRest', () => {
  it('reads the stanza and config from archive_command, and nothing from other commands', () => {
    expect(pgbackrestUseOf('pgbackrest --stanza=voipdb archive-push %p')).toEqual({ stanza: 'voipdb' });
    expect(pgbackrestUseOf('/usr/bin/pgbackrest --config=/etc/pb.conf --stanza=s1 archive-push %p')).toEqual({
      stanza: 's1',
      configFile: '/etc/pb.conf',
    });
    expect(pgbackrestUseOf('cp %p /mnt/archive/%f')).toBeUndefined();
    expect(pgbackrestUseOf('')).toBeUndefined();
  });

  it('knows that PostgreSQL 18 needs pgBackRest 2.57 and that Debian 12’s 2.45 stops at 15', () => {
    expect(compareVersions('2.45', '2.57.0')).toBeLessThan(0);
    expect(compareVersions('2.57.0', '2.57')).toBe(0);
    expect(pgbackrestTooOld('2.45', 18)).toBe('pgBackRest 2.45 does not support PostgreSQL 18: it needs pgBackRest 2.57 or newer');
    expect(pgbackrestTooOld('2.57.0', 18)).toBeUndefined();
    expect(pgbackrestTooOld('2.45', 15)).toBeUndefined();
    expect(pgbackrestTooOld('2.45', 16)).toContain('needs pgBackRest 2.46 or newer');
  });

  const info = (backups: { type: 'full' | 'diff' | 'incr'; hoursAgo: number }[], status = { code: 0, message: 'ok' }): StanzaInfo => ({
    name: 'voipdb',
    status,
    archive: [],
    backup: backups.map((b, i) => ({
      label: `backup-${i}`,
      type: b.type,
      timestamp: { start: NOW / 1000 - b.hoursAgo * 3600 - 60, stop: NOW / 1000 - b.hoursAgo * 3600 },
      archive: { start: null, stop: null },
    })),
  });
  const NOW = Date.UTC(2026, 11, 5, 12);
  const backupLimits = { maxBackupAgeHours: 36 };
  const use = { stanza: 'voipdb' };
  /** Debian 12's pgBackRest 2.45 judging `stanza` for a PostgreSQL `major` node in `role`, now = NOW. */
  const judge = (stanza: StanzaInfo, role: 'primary' | 'standby' = 'primary', major = 15) =>
    evaluateBackups({ use, version: '2.45', info: stanza }, role, major, backupLimits, NOW);

  it('judges the newest full or differential backup against the limit; incrementals do not count', () => {
    const fresh = judge(
      info([
        { type: 'full', hoursAgo: 100 },
        { type: 'diff', hoursAgo: 10 },
      ]),
    );
    expect(severities(fresh)).toEqual({ 'pgbackrest.version': 'ok', 'backup.age': 'ok' });
    const stale = judge(
      info([
        { type: 'full', hoursAgo: 50 },
        { type: 'incr', hoursAgo: 1 },
      ]),
    );
    expect(severities(stale)['backup.age']).toBe('critical');
    expect(severities(judge(info([{ type: 'full', hoursAgo: 50 }]), 'standby'))['backup.age']).toBe('warning');
  });

  it('no backup, or no stanza, is CRITICAL on the primary and names the command to run', () => {
    const none = judge(info([], { code: 2, message: 'no valid backups' }));
    expect(none.find((c) => c.id === 'backup.age')).toMatchObject({
      severity: 'critical',
      summary: expect.stringContaining('--type=full backup'),
    });
    const missing = judge(info([], { code: 1, message: 'missing stanza path' }));
    expect(missing.find((c) => c.id === 'backup.age')).toMatchObject({
      severity: 'critical',
      summary: expect.stringContaining('stanza-create'),
    });
  });

  it('a pgBackRest too old for the server is CRITICAL on a primary, a warning on a standby', () => {
    const primary = judge(info([{ type: 'full', hoursAgo: 1 }]), 'primary', 18);
    expect(primary.find((c) => c.id === 'pgbackrest.version')).toMatchObject({
      severity: 'critical',
      summary: expect.stringContaining('needs pgBackRest 2.57 or newer'),
    });
    const standby = judge(info([{ type: 'full', hoursAgo: 1 }]), 'standby', 18);
    expect(standby.find((c) => c.id === 'pgbackrest.version')!.severity).toBe('warning');
  });

  it('archive_command naming pgbackrest where it is not installed is CRITICAL on a primary', () => {
    expect(evaluateBackups({ use, version: undefined, info: undefined }, 'primary', 15, backupLimits, NOW)).toMatchObject([
      { id: 'pgbackrest.version', severity: 'critical' },
    ]);
  });
});

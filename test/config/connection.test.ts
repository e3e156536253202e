import { describe, expect, it } from 'vitest';
import { describeConnection, resolveConnection, toPgOptions } from '../../src/config/connection.js';
import { resolveSettings } from '../../src/config/settings.js';
import { parseDuration } from '../../src/config/durations.js';

describe('connection settings', () => {
  it('takes --url first, then DATABASE_URL, then the PG* variables', () => {
    const env = { DATABASE_URL: 'postgres://env@db-env:6000/envdb', PGHOST: 'pg-host' };
    expect(resolveConnection({ url: 'postgres://flag@db-flag:5000/flagdb', env }, [])).toMatchObject({
      host: 'db-flag',
      port: 5000,
      user: 'flag',
      database: 'flagdb',
    });
    expect(resolveConnection({ env }, [])).toMatchObject({ host: 'db-env', port: 6000, database: 'envdb' });
    expect(
      resolveConnection({ env: { PGHOST: 'pg-host', PGPORT: '5433', PGUSER: 'u', PGDATABASE: 'voipdb', PGPASSWORD: 'pw' } }, []),
    ).toEqual({ host: 'pg-host', port: 5433, user: 'u', database: 'voipdb', password: 'pw', applicationName: 'voipdb' });
  });

  it('decodes percent-encoded user, password and database, and reads IPv6 hosts', () => {
    const c = resolveConnection({ url: 'postgresql://k%40m:p%2Fw%3A1@[::1]:5432/voip%5Fdb', env: {} }, []);
    expect(c).toMatchObject({ host: '::1', user: 'k@m', password: 'p/w:1', database: 'voip_db' });
  });

  it('refuses no settings at all instead of guessing', () => {
    expect(() => resolveConnection({ env: { HOME: '/root' } }, [])).toThrow(expect.objectContaining({ code: 'NO_CONNECTION_CONFIGURED' }));
  });

  it('collects every problem, and never echoes a malformed URL (it may hold a password)', () => {
    const problems: string[] = [];
    resolveConnection({ url: 'postgres://u:hunter2@[bad', env: {} }, problems);
    resolveConnection({ url: 'mysql://u@h:5432/db', env: {} }, problems);
    resolveConnection({ url: 'postgres://u@h:0/db', env: {} }, problems);
    expect(problems).toEqual([
      expect.stringContaining('not a valid URL'),
      expect.stringContaining('must start with postgres://'),
      expect.stringContaining('port must be a number from 1 to 65535'),
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('renders a connection without its password, structurally', () => {
    const c = resolveConnection({ url: 'postgres://admin:s3cr%40t@db.example:5432/voipdb', env: {} }, [])!;
    expect(describeConnection(c)).toBe('postgres://admin@db.example:5432/voipdb');
    expect(describeConnection({ ...c, host: '::1' })).toBe('postgres://admin@[::1]:5432/voipdb');
    expect(toPgOptions(c).password).toBe('s3cr@t');
  });

  it('resolveSettings reports connection and flag problems together', () => {
    expect(() => resolveSettings({ url: 'http://x', lockWait: 'soon', lockRetries: 'x' }, {}, '/')).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        problems: expect.arrayContaining([
          expect.stringContaining('--lock-wait'),
          expect.stringContaining('--lock-retries'),
          expect.stringContaining('postgres://'),
        ]),
      }),
    );
  });

  it('parses durations: ms, s, min, bare seconds', () => {
    expect(parseDuration('500ms', 'f')).toEqual({ ms: 500 });
    expect(parseDuration('5s', 'f')).toEqual({ ms: 5000 });
    expect(parseDuration('2min', 'f')).toEqual({ ms: 120_000 });
    expect(parseDuration('1.5', 'f')).toEqual({ ms: 1500 });
    expect(parseDuration('soon', '--lock-wait')).toEqual({ problem: expect.stringContaining('--lock-wait') });
  });
});

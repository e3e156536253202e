import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ConnectionConfig, describeConnection, resolveConnection } from '../../src/config/connection.js';
import { parseDuration } from '../../src/config/durations.js';
import { resolveSettings } from '../../src/config/settings.js';
import { attemptsForHost, pgOptionsFor, tlsOptions } from '../../src/database/session-options.js';

/** An empty HOME, so that no ~/.postgresql file of the machine changes the outcome. */
const HOME = mkdtempSync(path.join(os.tmpdir(), 'voipdb-conn-home-'));
const resolve = (url: string | undefined, env: Record<string, string> = {}): { config?: ConnectionConfig; problems: string[] } => {
  const { config, problems } = resolveConnection({ url, env: { HOME, ...env } });
  return { ...(config ? { config } : {}), problems };
};

describe('connection settings', () => {
  it('takes --url first, then DATABASE_URL, then the PG* variables', () => {
    const env = { HOME, DATABASE_URL: 'postgres://env@db-env:6000/envdb', PGHOST: 'pg-host' };
    expect(resolveConnection({ url: 'postgres://flag@db-flag:5000/flagdb', env }).config).toMatchObject({
      host: 'db-flag',
      port: 5000,
      user: 'flag',
      database: 'flagdb',
    });
    expect(resolveConnection({ env }).config).toMatchObject({ host: 'db-env', port: 6000, database: 'envdb' });
    expect(
      resolveConnection({ env: { HOME, PGHOST: 'pg-host', PGPORT: '5433', PGUSER: 'u', PGDATABASE: 'voipdb', PGPASSWORD: 'pw' } }).config,
    ).toEqual({
      host: 'pg-host',
      port: 5433,
      user: 'u',
      database: 'voipdb',
      password: 'pw',
      applicationName: 'voipdb',
      tls: { minProtocolVersion: 'TLSv1.2' },
    });
  });

  it('decodes percent-encoded user, password and database (%2F too), and reads IPv6 hosts', () => {
    const { config } = resolve('postgresql://k%40m:p%2Fw%3A1@[::1]:5432/voip%2Fdb%C3%A9');
    expect(config).toMatchObject({ host: '::1', user: 'k@m', password: 'p/w:1', database: 'voip/dbé' });
  });

  it('refuses a malformed %-escape as a configuration problem, without showing the password', () => {
    for (const url of ['postgres://u:hunt%zz2@h/db', 'postgres://u%4@h/db', 'postgres://u@h/d%b', 'postgres://u:x%00y@h/db']) {
      const { config, problems } = resolve(url);
      expect(config).toBeUndefined();
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/%-escape|%00/);
      expect(problems[0]).not.toMatch(/hunt|x%00y/);
    }
  });

  it('fills what the URL leaves out from PG* variables, as libpq does', () => {
    const { config } = resolve('postgres://h1/db', {
      PGUSER: 'envuser',
      PGPORT: '6543',
      PGSSLMODE: 'require',
      PGAPPNAME: 'ops',
      PGOPTIONS: '-c x=1',
    });
    expect(config).toMatchObject({
      host: 'h1',
      port: 6543,
      user: 'envuser',
      sslmode: 'require',
      applicationName: 'ops',
      options: '-c x=1',
    });
    // The URL wins over the variable.
    expect(resolve('postgres://h1/db?sslmode=disable', { PGSSLMODE: 'require' }).config?.sslmode).toBe('disable');
  });

  it('parses several hosts with their ports, target_session_attrs and load_balance_hosts', () => {
    const { config } = resolve(
      'postgres://u@10.0.0.1,10.0.0.2:5433,[::1]:5434/voipdb?target_session_attrs=primary&load_balance_hosts=random',
    );
    expect(config?.hosts).toEqual([
      { host: '10.0.0.1', port: 5432 },
      { host: '10.0.0.2', port: 5433 },
      { host: '::1', port: 5434 },
    ]);
    expect(config).toMatchObject({ host: '10.0.0.1', port: 5432, targetSessionAttrs: 'primary', loadBalanceHosts: true });
    expect(describeConnection(config!)).toBe('postgres://u@10.0.0.1:5432,10.0.0.2:5433,[::1]:5434/voipdb?target_session_attrs=primary');
    // One port for all hosts, or one each.
    expect(resolve('host=a,b port=7000 user=u').config?.hosts?.map((h) => h.port)).toEqual([7000, 7000]);
    expect(resolve('host=a,b,c port=1,2 user=u').problems).toEqual([expect.stringContaining('2 ports for 3 hosts')]);
  });

  it('parses keyword/value strings with quotes and escapes', () => {
    const { config } = resolve("host=h port = 5433 dbname='voip db' user=o\\'k password='it\\'s' application_name=x");
    expect(config).toMatchObject({ host: 'h', port: 5433, database: 'voip db', user: "o'k", password: "it's", applicationName: 'x' });
    expect(resolve("host=h dbname='open").problems).toEqual([expect.stringContaining('not closed')]);
  });

  it('names every parameter it cannot honour or does not know, instead of dropping it', () => {
    const { problems } = resolve(
      'postgres://u@h/db?service=x&keepalives_count=3&sslmode=verify-fully&channel_binding=require&target_session_attrs=master&nonsense=1',
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unknown connection parameter "nonsense"'),
        expect.stringContaining('service is set, but voipdb cannot honour it'),
        expect.stringContaining('keepalives_count is set'),
        expect.stringContaining('sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full'),
        expect.stringContaining('channel_binding=require cannot be honoured'),
        expect.stringContaining('target_session_attrs must be one of any, read-write, read-only, primary, standby, prefer-standby'),
      ]),
    );
    expect(resolve('postgres://u@h/db', { PGSERVICE: 'prod' }).problems).toEqual([expect.stringContaining('PGSERVICE is set')]);
  });

  it('honours options, connect_timeout, application_name, keepalives and PGTZ', () => {
    const { config } = resolve(
      'postgres://u@h/db?options=-c%20search_path%3Dvoip&connect_timeout=1&fallback_application_name=fb&keepalives=0',
      {
        PGTZ: 'Europe/Paris',
      },
    );
    expect(config).toMatchObject({
      options: '-c search_path=voip -c timezone=Europe/Paris',
      connectTimeoutMs: 2000,
      applicationName: 'fb',
      keepalives: false,
    });
    const pgOptions = pgOptionsFor(config!, { entry: config!, tls: false });
    expect(pgOptions).toMatchObject({
      options: '-c search_path=voip -c timezone=Europe/Paris',
      connectionTimeoutMillis: 2000,
      keepAlive: false,
      ssl: false,
    });
    expect(resolve('postgres://u@h/db?connect_timeout=0').config?.connectTimeoutMs).toBe(0);
  });

  it("tries TLS as libpq's sslmode says: prefer TLS then plain, allow plain then TLS", () => {
    const entry = { host: 'h', port: 5432 };
    expect(attemptsForHost(entry, undefined).map((a) => a.tls)).toEqual([true, false]);
    expect(attemptsForHost(entry, 'prefer').map((a) => a.tls)).toEqual([true, false]);
    expect(attemptsForHost(entry, 'allow').map((a) => a.tls)).toEqual([false, true]);
    expect(attemptsForHost(entry, 'disable').map((a) => a.tls)).toEqual([false]);
    expect(attemptsForHost(entry, 'require').map((a) => a.tls)).toEqual([true]);
    expect(attemptsForHost(entry, 'verify-full').map((a) => a.tls)).toEqual([true]);
    expect(attemptsForHost({ host: '/var/run/postgresql', port: 5432 }, 'require').map((a) => a.tls)).toEqual([false]);
  });

  it('verifies certificates as libpq does: require without a CA does not, require with sslrootcert is verify-ca', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'voipdb-conn-ca-'));
    const ca = path.join(dir, 'ca.crt');
    writeFileSync(ca, 'not really a certificate');
    const opts = (url: string) => {
      const { config, problems } = resolve(url);
      expect(problems).toEqual([]);
      return tlsOptions(config!, config!);
    };
    expect(opts('postgres://u@h/db?sslmode=require')).toMatchObject({ rejectUnauthorized: false });
    const requireWithCa = opts(`postgres://u@h/db?sslmode=require&sslrootcert=${ca}`);
    expect(requireWithCa.rejectUnauthorized).toBe(true);
    expect(requireWithCa.checkServerIdentity?.('other', {} as never)).toBeUndefined();
    const full = opts(`postgres://u@h/db?sslmode=verify-full&sslrootcert=${ca}`);
    expect(full.rejectUnauthorized).toBe(true);
    expect(full.checkServerIdentity?.('h', { subject: { CN: 'x' }, subjectaltname: 'DNS:x' } as never)).toBeInstanceOf(Error);
    // verify modes without a CA, and missing files, are configuration problems.
    expect(resolve('postgres://u@h/db?sslmode=verify-full').problems).toEqual([
      expect.stringContaining('.postgresql/root.crt does not exist'),
    ]);
    expect(resolve('postgres://u@h/db?sslmode=require&sslrootcert=/nonexistent/ca.crt').problems).toEqual([
      expect.stringContaining('/nonexistent/ca.crt, which does not exist'),
    ]);
    // ~/.postgresql/root.crt is used when it exists.
    const home = mkdtempSync(path.join(os.tmpdir(), 'voipdb-conn-home2-'));
    const pgDir = path.join(home, '.postgresql');
    mkdirSync(pgDir);
    writeFileSync(path.join(pgDir, 'root.crt'), 'x');
    expect(resolve('postgres://u@h/db?sslmode=verify-ca', { HOME: home }).config?.tls?.rootCert).toBe(path.join(pgDir, 'root.crt'));
    // sslrootcert=system means verify-full, and nothing weaker.
    expect(resolve('postgres://u@h/db?sslrootcert=system').config?.sslmode).toBe('verify-full');
    expect(resolve('postgres://u@h/db?sslrootcert=system&sslmode=require').problems).toEqual([
      expect.stringContaining('sslrootcert=system'),
    ]);
  });

  it('refuses no settings at all instead of guessing', () => {
    expect(() => resolveConnection({ env: { HOME: '/root' } }).config).toThrow(
      expect.objectContaining({ code: 'NO_CONNECTION_CONFIGURED' }),
    );
  });

  it('collects every problem, and never echoes a malformed URL (it may hold a password)', () => {
    const problems = [
      ...resolveConnection({ url: 'postgres://u:hunter2@[bad', env: {} }).problems,
      ...resolveConnection({ url: 'mysql://u@h:5432/db', env: {} }).problems,
      ...resolveConnection({ url: 'postgres://u@h:0/db', env: {} }).problems,
    ];
    expect(problems).toEqual([
      expect.stringContaining('is not closed with "]"'),
      expect.stringContaining('must start with postgres://'),
      expect.stringContaining('port must be a number from 1 to 65535'),
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('renders a connection without its password, structurally', () => {
    const c = resolve('postgres://admin:s3cr%40t@db.example:5432/voipdb').config!;
    expect(describeConnection(c)).toBe('postgres://admin@db.example:5432/voipdb');
    expect(describeConnection({ ...c, host: '::1' })).toBe('postgres://admin@[::1]:5432/voipdb');
    expect(pgOptionsFor(c, { entry: c, tls: false }).password).toBe('s3cr@t');
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

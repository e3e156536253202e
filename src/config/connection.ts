import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConfigInvalidError, NoConnectionConfiguredError } from './errors.js';
import { isKeywordValue, type ParsedConninfo, parseKeywordValue, parseUri } from './conninfo.js';
import { LIBPQ_KEYWORDS, STARTUP_SETTING_VARIABLES } from './libpq-keywords.js';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
export const TARGET_SESSION_ATTRS = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof TARGET_SESSION_ATTRS)[number];
const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** One entry of libpq's host list: the name (or Unix socket folder), its port, and an optional numeric address. */
export interface HostEntry {
  host: string;
  port: number;
  /** libpq's hostaddr: connect here, but verify the certificate and match pgpass against `host`. */
  hostaddr?: string;
}

/** TLS files and settings; paths are read when a connection is opened, as libpq does. */
export interface TlsSettings {
  /** A CA file, or `system` for the trusted roots of the system. */
  rootCert?: string;
  cert?: string;
  key?: string;
  /** Passphrase of the key (sslpassword). */
  password?: string;
  crl?: string;
  minProtocolVersion?: TlsVersion;
  maxProtocolVersion?: TlsVersion;
  /** sslnegotiation=direct: TLS from the first byte (PostgreSQL 17+). */
  direct?: boolean;
}

/** Where to connect. The password is kept apart so that nothing renders it by accident. */
export interface ConnectionConfig {
  /** The first host (the only one, usually); `hosts` lists them all when there are several. */
  host: string;
  port: number;
  user: string;
  database: string;
  /** Absent means: look it up in the password file (passfile, PGPASSFILE or ~/.pgpass). */
  password?: string;
  /** libpq's sslmode; absent means libpq's default, prefer. */
  sslmode?: SslMode;
  applicationName: string;
  /** Every host to try, in order (libpq's comma-separated host/port/hostaddr lists). */
  hosts?: HostEntry[];
  /** Which server fits (libpq's target_session_attrs); absent means any. */
  targetSessionAttrs?: TargetSessionAttrs;
  /** load_balance_hosts=random: hosts tried in a random order. */
  loadBalanceHosts?: boolean;
  tls?: TlsSettings;
  /** Command-line options sent at connection start (libpq's options, e.g. `-c search_path=voip`). */
  options?: string;
  /** Per-host connection timeout in ms; 0 waits without limit. Absent: 10 s. */
  connectTimeoutMs?: number;
  passfile?: string;
  /** TCP keepalives (libpq's default: on) and the idle time before the first probe. */
  keepalives?: boolean;
  keepalivesIdleSeconds?: number;
  /** channel_binding: prefer (libpq's default) uses SCRAM-SHA-256-PLUS over TLS when offered. */
  channelBinding?: 'disable' | 'prefer';
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Every host of a config, in the order libpq would try them (before load balancing). */
export function hostsOf(config: ConnectionConfig): HostEntry[] {
  return config.hosts && config.hosts.length > 0 ? config.hosts : [{ host: config.host, port: config.port }];
}

/**
 * Turns `--url`, else DATABASE_URL, into libpq's keyword values (a postgres:// URI or a
 * `key=value` conninfo string), fills what they leave out from libpq's PG* variables, and
 * validates the lot into a ConnectionConfig. With neither, the PG* variables alone.
 * Returns every problem found rather than throwing on the first, so that the caller can report
 * every configuration problem at once (a missing connection is thrown: NoConnectionConfiguredError).
 */
export function resolveConnection(input: { url?: string | undefined; env: Env; applicationName?: string }): {
  config: ConnectionConfig | undefined;
  problems: string[];
} {
  const { env } = input;
  const url = input.url ?? nonEmpty(env.DATABASE_URL);
  const source = input.url !== undefined ? '--url' : 'DATABASE_URL';
  let parsed: ParsedConninfo | undefined;
  if (url !== undefined) {
    const parse = isKeywordValue(url) ? parseKeywordValue(url, source) : parseUri(url, source);
    if (!parse.parsed) return { config: undefined, problems: parse.problems };
    parsed = parse.parsed;
  } else {
    if (!hasConnectionSettings(env)) throw new NoConnectionConfiguredError();
    parsed = { values: new Map() };
  }
  return fromKeywords(parsed.values, source, env, input.applicationName ?? 'voipdb');
}

/** Whether the environment sets any connection setting: DATABASE_URL or one of libpq's PG* variables. */
export function hasConnectionSettings(env: Env): boolean {
  if (nonEmpty(env.DATABASE_URL) !== undefined) return true;
  return Object.values(LIBPQ_KEYWORDS).some((k) => k.env !== undefined && nonEmpty(env[k.env]) !== undefined);
}

function fromKeywords(
  given: Map<string, string>,
  source: string,
  env: Env,
  fallbackApplicationName: string,
): { config: ConnectionConfig | undefined; problems: string[] } {
  const problems: string[] = [];
  // Where each value came from, for problems: "--url sslmode" or "PGSSLMODE".
  const origin = new Map<string, string>();
  const values = new Map<string, string>();
  for (const [keyword, value] of given) {
    if (!(keyword in LIBPQ_KEYWORDS)) {
      problems.push(`${source}: unknown connection parameter "${keyword}"`);
      continue;
    }
    if (value === '') continue;
    values.set(keyword, value);
    origin.set(keyword, `${source} ${keyword}`);
  }
  for (const [keyword, info] of Object.entries(LIBPQ_KEYWORDS)) {
    if (values.has(keyword) || info.env === undefined) continue;
    const value = nonEmpty(env[info.env]);
    if (value === undefined) continue;
    values.set(keyword, value);
    origin.set(keyword, info.env);
  }
  const where = (keyword: string): string => origin.get(keyword) ?? keyword;
  const take = <T>(result: Checked<T>): T => {
    problems.push(...result.problems);
    return result.value;
  };
  const oneOf = <T extends string>(keyword: string, allowed: readonly T[], fallback?: T): T | undefined =>
    take(oneOfValue(values, where, keyword, allowed, fallback));
  for (const keyword of values.keys()) {
    const reason = LIBPQ_KEYWORDS[keyword]!.unsupported;
    if (reason) problems.push(`${where(keyword)} is set, but voipdb cannot honour it: ${reason}`);
  }
  const integer = (keyword: string): number | undefined => {
    const value = values.get(keyword);
    if (value === undefined) return undefined;
    if (!/^\s*-?\d+\s*$/.test(value)) {
      problems.push(`${where(keyword)} must be a whole number, got "${value}"`);
      return undefined;
    }
    return Number(value);
  };

  const hosts = take(hostList(values, where));
  const user = values.get('user') ?? osUserName();
  const database = values.get('dbname') ?? user;

  // TLS: libpq's sslrootcert=system implies verify-full and forbids anything weaker.
  const rootCertSetting = values.get('sslrootcert');
  let sslmode = oneOf('sslmode', SSL_MODES);
  if (rootCertSetting === 'system') {
    if (sslmode === undefined) sslmode = 'verify-full';
    else if (sslmode !== 'verify-full')
      problems.push(`${where('sslmode')}=${sslmode} may not be used with sslrootcert=system (use verify-full)`);
  }
  const tls = take(tlsSettings(values, where, sslmode, env));

  const direct = oneOf('sslnegotiation', ['postgres', 'direct'] as const) === 'direct';
  if (direct && sslmode !== 'require' && sslmode !== 'verify-ca' && sslmode !== 'verify-full')
    problems.push(`sslnegotiation=direct needs sslmode require, verify-ca or verify-full (got ${sslmode ?? 'prefer, the default'})`);
  if (direct && tls) tls.direct = true;

  if (oneOf('sslcompression', ['0', '1'] as const) === '1')
    problems.push(`${where('sslcompression')}=1 cannot be honoured: TLS compression is not available (OpenSSL 3 removed it)`);
  if (oneOf('sslsni', ['0', '1'] as const) === '0')
    problems.push(`${where('sslsni')}=0 cannot be honoured: node-postgres always sends the host name (SNI)`);
  if (oneOf('gssencmode', ['disable', 'prefer', 'require'] as const) === 'require')
    problems.push(`${where('gssencmode')}=require cannot be honoured: ${'GSSAPI encryption is not available in node-postgres'}`);
  const channelBinding = oneOf('channel_binding', ['disable', 'prefer', 'require'] as const);
  if (channelBinding === 'require')
    problems.push(`${where('channel_binding')}=require cannot be honoured: node-postgres cannot insist on channel binding`);
  for (const keyword of ['min_protocol_version', 'max_protocol_version']) {
    const v = values.get(keyword);
    if (v !== undefined && v !== '3.0')
      problems.push(`${where(keyword)}=${v} cannot be honoured: node-postgres speaks protocol version 3.0 only`);
  }
  const encoding = values.get('client_encoding');
  if (encoding !== undefined && !/^(utf-?8|unicode)$/i.test(encoding))
    problems.push(`${where('client_encoding')}=${encoding} cannot be honoured: node-postgres reads and writes UTF8 only`);

  const connectTimeout = integer('connect_timeout');
  const keepalives = integer('keepalives');
  const keepalivesIdle = integer('keepalives_idle');
  const targetSessionAttrs = oneOf('target_session_attrs', TARGET_SESSION_ATTRS);
  const loadBalance = oneOf('load_balance_hosts', ['disable', 'random'] as const);
  const options = startupOptions(values.get('options'), env);

  if (problems.length > 0 || hosts.length === 0) return { config: undefined, problems };
  const password = values.get('password');
  const passfile = values.get('passfile');
  const config: ConnectionConfig = {
    host: hosts[0]!.host,
    port: hosts[0]!.port,
    user,
    database,
    ...(password !== undefined ? { password } : {}),
    ...(sslmode !== undefined ? { sslmode } : {}),
    applicationName: values.get('application_name') ?? values.get('fallback_application_name') ?? fallbackApplicationName,
    ...(hosts.length > 1 || hosts[0]!.hostaddr !== undefined ? { hosts } : {}),
    ...(targetSessionAttrs !== undefined && targetSessionAttrs !== 'any' ? { targetSessionAttrs } : {}),
    ...(loadBalance === 'random' ? { loadBalanceHosts: true } : {}),
    ...(tls !== undefined && Object.keys(tls).length > 0 ? { tls } : {}),
    ...(options !== undefined ? { options } : {}),
    // libpq: zero or less waits forever; 1 s is raised to 2 s.
    ...(connectTimeout !== undefined ? { connectTimeoutMs: connectTimeout <= 0 ? 0 : Math.max(connectTimeout, 2) * 1000 } : {}),
    ...(passfile !== undefined ? { passfile } : {}),
    ...(keepalives !== undefined ? { keepalives: keepalives !== 0 } : {}),
    ...(keepalivesIdle !== undefined && keepalivesIdle > 0 ? { keepalivesIdleSeconds: keepalivesIdle } : {}),
    ...(channelBinding === 'disable' ? { channelBinding: 'disable' as const } : {}),
  };
  return { config, problems };
}

/** A value read from the settings, and what was wrong on the way (each problem names its setting). */
interface Checked<T> {
  value: T;
  problems: string[];
}

/** `keyword`'s value when it is one of `allowed`; otherwise the fallback, and why. */
function oneOfValue<T extends string>(
  values: Map<string, string>,
  where: (k: string) => string,
  keyword: string,
  allowed: readonly T[],
  fallback?: T,
): Checked<T | undefined> {
  const value = values.get(keyword);
  if (value === undefined || allowed.includes(value as T)) return { value: (value as T | undefined) ?? fallback, problems: [] };
  return { value: fallback, problems: [`${where(keyword)} must be one of ${allowed.join(', ')}, got "${value}"`] };
}

/** libpq's host, hostaddr and port lists: one port for all hosts, or one per host. */
function hostList(values: Map<string, string>, where: (k: string) => string): Checked<HostEntry[]> {
  const problems: string[] = [];
  const names = values.get('host')?.split(',');
  const addrs = values.get('hostaddr')?.split(',');
  const ports = values.get('port')?.split(',') ?? [''];
  const count = names?.length ?? addrs?.length ?? 1;
  if (names && addrs && names.length !== addrs.length) {
    return {
      value: [],
      problems: [`${where('hostaddr')} lists ${addrs.length} address(es) for ${names.length} host(s): give one per host`],
    };
  }
  if (ports.length !== 1 && ports.length !== count) {
    return { value: [], problems: [`${where('port')} lists ${ports.length} ports for ${count} hosts: give one port, or one per host`] };
  }
  const entries: HostEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    const rawPort = (ports.length === 1 ? ports[0] : ports[i])!.trim();
    const port = rawPort === '' ? 5432 : Number(rawPort);
    if (!/^\d+$/.test(rawPort || '5432') || port < 1 || port > 65535) {
      problems.push(`${where('port')} must be a number from 1 to 65535, got "${rawPort}"`);
      continue;
    }
    const hostaddr = addrs?.[i]?.trim() || undefined;
    if (hostaddr !== undefined && isIP(hostaddr) === 0) {
      problems.push(`${where('hostaddr')} must be numeric IP addresses, got "${hostaddr}"`);
      continue;
    }
    // libpq's default host is the Unix socket; voipdb connects to localhost over TCP instead.
    const host = names?.[i]?.trim() || hostaddr || 'localhost';
    if (host.includes('/') && !host.startsWith('/')) {
      problems.push(`${where('host')} names "${host}": a Unix socket folder must be an absolute path`);
      continue;
    }
    entries.push({ host, port, ...(hostaddr !== undefined ? { hostaddr } : {}) });
  }
  return { value: entries, problems };
}

/**
 * The certificate files, with libpq's defaults in ~/.postgresql: root.crt (and root.crl) used
 * whenever they exist, required for verify-ca/verify-full; postgresql.crt/.key sent when they
 * exist. A file named explicitly must exist (libpq would skip a missing one in silence).
 */
function tlsSettings(
  values: Map<string, string>,
  where: (k: string) => string,
  sslmode: SslMode | undefined,
  env: Env,
): Checked<TlsSettings | undefined> {
  if (sslmode === 'disable') return { value: undefined, problems: [] };
  const problems: string[] = [];
  const oneOf = <T extends string>(keyword: string, allowed: readonly T[], fallback?: T): T | undefined => {
    const checked = oneOfValue(values, where, keyword, allowed, fallback);
    problems.push(...checked.problems);
    return checked.value;
  };
  const explicit = (keyword: string): string | undefined => {
    const file = values.get(keyword);
    if (file === undefined || file === 'system') return file;
    if (!existsSync(file)) problems.push(`${where(keyword)} names ${file}, which does not exist`);
    return file;
  };
  const byDefault = (name: string): string | undefined => {
    const file = homePath(env, path.join('.postgresql', name));
    return existsSync(file) ? file : undefined;
  };
  const rootCert = explicit('sslrootcert') ?? byDefault('root.crt');
  if ((sslmode === 'verify-ca' || sslmode === 'verify-full') && rootCert === undefined) {
    problems.push(
      `sslmode=${sslmode} needs the CA that signed the server's certificate: ${homePath(env, '.postgresql/root.crt')} does not exist (give sslrootcert=/path/to/ca.crt, or sslrootcert=system)`,
    );
  }
  const certMode = oneOf('sslcertmode', ['allow', 'disable', 'require'] as const);
  if (certMode === 'require')
    problems.push(
      `${where('sslcertmode')}=require cannot be honoured: node-postgres cannot tell whether the server asked for a certificate`,
    );
  const cert = certMode === 'disable' ? undefined : (explicit('sslcert') ?? byDefault('postgresql.crt'));
  const key = cert === undefined ? undefined : (explicit('sslkey') ?? byDefault('postgresql.key'));
  if (cert !== undefined && key === undefined)
    problems.push(`the client certificate ${cert} has no key (give sslkey, or ~/.postgresql/postgresql.key)`);
  const crl = explicit('sslcrl') ?? byDefault('root.crl');
  const minVersion = oneOf('ssl_min_protocol_version', TLS_VERSIONS, 'TLSv1.2');
  const maxVersion = oneOf('ssl_max_protocol_version', TLS_VERSIONS);
  const password = values.get('sslpassword');
  const tls: TlsSettings = {
    ...(rootCert !== undefined ? { rootCert } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(crl !== undefined ? { crl } : {}),
    ...(minVersion !== undefined ? { minProtocolVersion: minVersion } : {}),
    ...(maxVersion !== undefined ? { maxProtocolVersion: maxVersion } : {}),
  };
  return { value: tls, problems };
}

/** `options`, plus the session settings libpq takes from PGDATESTYLE, PGTZ and PGGEQO. */
function startupOptions(options: string | undefined, env: Env): string | undefined {
  const parts = options === undefined ? [] : [options];
  for (const [variable, setting] of Object.entries(STARTUP_SETTING_VARIABLES)) {
    const value = nonEmpty(env[variable]);
    // Spaces and backslashes in an options value are escaped with a backslash (libpq's rule).
    if (value !== undefined) parts.push(`-c ${setting}=${value.replace(/([\\ ])/g, '\\$1')}`);
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** libpq's home folder: $HOME, else the account's. */
export function homePath(env: Env, relative: string): string {
  return path.join(nonEmpty(env.HOME) ?? os.homedir(), relative);
}

function osUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'postgres';
  }
}

function nonEmpty(v: string | undefined | null): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : v;
}

/** A copy of the config pointing at another database on the same server(s). */
export function withDatabase(config: ConnectionConfig, database: string): ConnectionConfig {
  return { ...config, database };
}

/** `host:port`, `[::1]:port`, or a socket folder with its port: how a host is named in messages. */
export function describeHost(entry: HostEntry): string {
  const name = entry.host.includes(':') ? `[${entry.host}]` : entry.host;
  return `${name}:${entry.port}${entry.hostaddr !== undefined && entry.hostaddr !== entry.host ? ` (${entry.hostaddr})` : ''}`;
}

/**
 * The connection as a URI without its password: the only form in which a connection is ever
 * rendered. Built from fields, never by editing a string, so no password can slip through.
 * Shows every host and the settings that change which server is reached or how.
 */
export function describeConnection(config: ConnectionConfig): string {
  const params: [string, string][] = [];
  if (config.sslmode !== undefined) params.push(['sslmode', config.sslmode]);
  if (config.tls?.rootCert !== undefined && config.sslmode !== undefined && config.sslmode !== 'disable')
    params.push(['sslrootcert', config.tls.rootCert]);
  if (config.targetSessionAttrs !== undefined) params.push(['target_session_attrs', config.targetSessionAttrs]);
  return connectionUri({ user: config.user, hosts: hostsOf(config), database: config.database, params });
}

/**
 * A postgres:// URI from its parts, each encoded: the one writer of connection URIs (describeConnection,
 * and the URLs `db config render` writes). Without a user, libpq takes PGUSER or the OS user.
 */
export function connectionUri(parts: {
  user?: string | undefined;
  password?: string | undefined;
  hosts: { host: string; port: number }[];
  database: string;
  params?: [string, string][];
}): string {
  const hosts = parts.hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : encodeURIComponent(h.host)}:${h.port}`).join(',');
  const password = parts.password !== undefined ? `:${encodeURIComponent(parts.password)}` : '';
  const credentials = parts.user !== undefined ? `${encodeURIComponent(parts.user)}${password}@` : '';
  // Values stay readable (a path keeps its slashes); libpq decodes what is escaped.
  const query = (parts.params ?? []).map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2F/g, '/')}`).join('&');
  return `postgres://${credentials}${hosts}/${encodeURIComponent(parts.database)}${query ? `?${query}` : ''}`;
}

/** As resolveConnection, for callers that stop at the first wrong setting: throws ConfigInvalidError listing every problem. */
export function requireConnection(input: { url?: string | undefined; env: Env; applicationName?: string }): ConnectionConfig {
  const { config, problems } = resolveConnection(input);
  assertNoProblems(problems);
  return config!;
}

export function assertNoProblems(problems: string[]): void {
  if (problems.length > 0) throw new ConfigInvalidError(problems);
}

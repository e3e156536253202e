import pgpass from 'pgpass';
import { ConfigInvalidError, NoConnectionConfiguredError } from '../errors.js';

/** Where to connect. The password is kept apart so that nothing renders it by accident. */
export interface ConnectionConfig {
  host: string;
  port: number;
  user: string;
  database: string;
  /** Absent means: let libpq rules decide (PGPASSWORD, ~/.pgpass through pg's pgpass support). */
  password?: string;
  /** libpq sslmode as given; pg understands it through its connection string parser. */
  sslmode?: string;
  applicationName: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LIBPQ_VARIABLES = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER'] as const;

/**
 * Turns `--url`, else DATABASE_URL, else libpq's PG* variables, into a ConnectionConfig.
 * Collects problems into `problems` instead of throwing on the first, so that the caller
 * can report every configuration problem at once.
 */
export function resolveConnection(
  input: { url?: string | undefined; env: Env; applicationName?: string },
  problems: string[],
): ConnectionConfig | undefined {
  const { env } = input;
  const applicationName = input.applicationName ?? 'voipdb';
  const url = input.url ?? nonEmpty(env.DATABASE_URL);
  const source = input.url !== undefined ? '--url' : 'DATABASE_URL';
  if (url !== undefined) return parseUrl(url, source, env, applicationName, problems);

  if (!LIBPQ_VARIABLES.some((name) => nonEmpty(env[name]) !== undefined)) {
    throw new NoConnectionConfiguredError();
  }
  const user = nonEmpty(env.PGUSER) ?? nonEmpty(env.USER) ?? 'postgres';
  const port = parsePort(nonEmpty(env.PGPORT) ?? '5432', 'PGPORT', problems);
  return {
    host: nonEmpty(env.PGHOSTADDR) ?? nonEmpty(env.PGHOST) ?? 'localhost',
    port: port ?? 5432,
    user,
    database: nonEmpty(env.PGDATABASE) ?? user,
    ...(nonEmpty(env.PGPASSWORD) !== undefined ? { password: env.PGPASSWORD } : {}),
    ...(nonEmpty(env.PGSSLMODE) !== undefined ? { sslmode: env.PGSSLMODE } : {}),
    applicationName,
  };
}

function parseUrl(raw: string, source: string, env: Env, applicationName: string, problems: string[]): ConnectionConfig | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Never echo the raw string back: it may hold a password.
    problems.push(`${source} is not a valid URL (expected postgres://user@host:port/database)`);
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    problems.push(`${source} must start with postgres:// or postgresql://, not ${url.protocol}//`);
  }
  const host =
    decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1') ||
    nonEmpty(url.searchParams.get('host') ?? undefined) ||
    nonEmpty(env.PGHOST) ||
    'localhost';
  const port = url.port ? parsePort(url.port, `${source} port`, problems) : parsePort(nonEmpty(env.PGPORT) ?? '5432', 'PGPORT', problems);
  const user = decodeURIComponent(url.username) || nonEmpty(env.PGUSER) || nonEmpty(env.USER) || 'postgres';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || nonEmpty(env.PGDATABASE) || user;
  if (database.includes('/')) problems.push(`${source} names database "${database}", which contains "/"`);
  const password = url.password ? decodeURIComponent(url.password) : nonEmpty(env.PGPASSWORD);
  const sslmode = url.searchParams.get('sslmode') ?? nonEmpty(env.PGSSLMODE);
  if (problems.length > before) return undefined;
  return {
    host,
    port: port ?? 5432,
    user,
    database,
    ...(password !== undefined ? { password } : {}),
    ...(sslmode ? { sslmode } : {}),
    applicationName: url.searchParams.get('application_name') ?? applicationName,
  };
}

function parsePort(raw: string, what: string, problems: string[]): number | undefined {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    problems.push(`${what} must be a number from 1 to 65535, got "${raw}"`);
    return undefined;
  }
  return port;
}

function nonEmpty(v: string | undefined | null): string | undefined {
  return v === undefined || v === null || v === '' ? undefined : v;
}

/** A copy of the config pointing at another database on the same server. */
export function withDatabase(config: ConnectionConfig, database: string): ConnectionConfig {
  return { ...config, database };
}

/**
 * The connection as a URL without its password: the only form in which a connection is ever
 * rendered. Built from fields, never by editing a string, so no password can slip through.
 */
export function describeConnection(config: ConnectionConfig): string {
  const url = new URL('postgres://placeholder');
  url.hostname = config.host.includes(':') ? `[${config.host}]` : config.host;
  url.port = String(config.port);
  url.username = config.user;
  url.pathname = `/${config.database}`;
  return url.toString();
}

/**
 * A URL that includes the password, for handing to psql or another service by the person who
 * asked for it (`npm start` prints one for the local server only). Never logged elsewhere.
 */
export function connectionUrlWithPassword(config: ConnectionConfig): string {
  const url = new URL(describeConnection(config));
  if (config.password !== undefined) url.password = config.password;
  return url.toString();
}

/**
 * libpq's password file (~/.pgpass or PGPASSFILE), read by the `pgpass` package that pg itself
 * used before deprecating its built-in support; looked up only when no password was given.
 */
function passwordFromPgpass(config: ConnectionConfig): () => Promise<string> {
  return () =>
    new Promise((resolve) => {
      pgpass({ host: config.host, port: config.port, database: config.database, user: config.user }, (password) => resolve(password ?? ''));
    });
}

/** Options for `pg.Client` / `pg.Pool`. */
export function toPgOptions(config: ConnectionConfig): {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string | (() => Promise<string>);
  application_name: string;
  ssl?: boolean | { rejectUnauthorized: boolean };
  connectionTimeoutMillis: number;
} {
  const ssl =
    config.sslmode === undefined || config.sslmode === 'disable' || config.sslmode === 'prefer' || config.sslmode === 'allow'
      ? undefined
      : config.sslmode === 'require'
        ? { rejectUnauthorized: false }
        : true;
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    database: config.database,
    password: config.password ?? passwordFromPgpass(config),
    application_name: config.applicationName,
    ...(ssl !== undefined ? { ssl } : {}),
    connectionTimeoutMillis: 10_000,
  };
}

export function assertNoProblems(problems: string[]): void {
  if (problems.length > 0) throw new ConfigInvalidError(problems);
}

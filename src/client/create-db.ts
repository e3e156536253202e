import { Kysely, type KyselyPlugin, type LogConfig, PostgresDialect } from 'kysely';
import type { ConnectionConfig } from '../config/connection.js';
import { SessionPool } from '../database/session-pool.js';
import type { DB } from '../generated/db.js';
import { connectionConfigFromUrl, DEFAULT_CLIENT_APPLICATION_NAME } from './connection-config.js';
import { registerDirectPool } from './direct-pool.js';
import { errorMappingPool } from './error-mapping-pool.js';
import { toClientError } from './error-mapping.js';

export interface CreateDbOptions {
  /** application_name of every session (overrides the config's); shows in pg_stat_activity. */
  applicationName?: string;
  /** Most connections the pool opens (default 10). */
  maxConnections?: number;
  /** An idle connection is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Waiting for a connection (a new one or a free pooled one) fails after this long (default 5 s). */
  connectionTimeoutMs?: number;
  /** statement_timeout of every session in ms (default: the server's). Hot paths such as the
   *  directory lookup should answer before FreeSWITCH's mod_xml_curl timeout does. */
  statementTimeoutMs?: number;
  /**
   * Told about errors of connections nobody was using (server restart, session terminated,
   * recovery conflict on an idle session), already mapped to the typed errors. The pool drops
   * such a connection and opens a new one on demand; without this option they are ignored.
   */
  onIdleConnectionError?: (error: unknown) => void;
  /** Extra Kysely plugins (for example CamelCasePlugin; note the generated types are snake_case). */
  plugins?: KyselyPlugin[];
  /** Kysely's query log (levels, or a function given each query with its duration): for metrics. */
  log?: LogConfig;
}

export const POOL_DEFAULTS = {
  maxConnections: 10,
  idleTimeoutMs: 30_000,
  connectionTimeoutMs: 5_000,
} as const;

/**
 * The typed client services use: a Kysely<DB> over a pg Pool whose query errors come back as
 * StandbyWriteError / RecoveryConflictError / CdrPartitionMissingError (others unchanged).
 * Nothing here crashes the process: idle connection errors are caught and reported to
 * `onIdleConnectionError`. Call `db.destroy()` to close the pool.
 */
export function createDb(config: ConnectionConfig | string, options: CreateDbOptions = {}): Kysely<DB> {
  const base = typeof config === 'string' ? connectionConfigFromUrl(config) : config;
  const resolved: ConnectionConfig = {
    ...base,
    applicationName: options.applicationName ?? (base.applicationName || DEFAULT_CLIENT_APPLICATION_NAME),
  };
  // Several hosts in the URL: each new session goes to the first that fits target_session_attrs.
  const pool = new SessionPool(resolved, {
    max: options.maxConnections ?? POOL_DEFAULTS.maxConnections,
    idleTimeoutMillis: options.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? resolved.connectTimeoutMs ?? POOL_DEFAULTS.connectionTimeoutMs,
    ...(options.statementTimeoutMs !== undefined ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  // pg's pool re-emits an idle client's error on itself; an 'error' event without a listener
  // would throw and end the service.
  pool.on('error', (error) => {
    options.onIdleConnectionError?.(toClientError(error));
  });
  const mapped = errorMappingPool(pool, resolved);
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: mapped }),
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  if (!options.log) registerDirectPool(db, mapped);
  return db;
}

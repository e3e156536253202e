import { type ConnectionConfig, type Env, requireConnection } from '../config/connection.js';

/** application_name a service's sessions get unless it names itself (pg_stat_activity shows it). */
export const DEFAULT_CLIENT_APPLICATION_NAME = 'voipdb-client';

/**
 * A ConnectionConfig from a postgres:// URL or a keyword/value string, read as libpq reads it
 * (several hosts, target_session_attrs, sslmode and the certificate files). Missing parts stay
 * libpq-like (port 5432, database = user, ~/.postgresql/root.crt when it exists); no PG*
 * variable is read. Throws ConfigInvalidError naming every problem, without echoing the URL
 * (it may hold a password).
 */
export function connectionConfigFromUrl(url: string, applicationName = DEFAULT_CLIENT_APPLICATION_NAME): ConnectionConfig {
  return requireConnection({ url, env: {}, applicationName });
}

/**
 * A ConnectionConfig from the environment the service passes in (usually process.env):
 * DATABASE_URL, else libpq's PG* variables (PGHOST, PGPORT, PGSSLMODE, PGSSLROOTCERT, ...), which
 * also fill what DATABASE_URL leaves out.
 * Throws NoConnectionConfiguredError when none is set, ConfigInvalidError when one is wrong.
 */
export function connectionConfigFromEnv(env: Env, applicationName = DEFAULT_CLIENT_APPLICATION_NAME): ConnectionConfig {
  return requireConnection({ env, applicationName });
}

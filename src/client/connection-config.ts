import { type ConnectionConfig, type Env, assertNoProblems, resolveConnection } from '../config/connection.js';

/** application_name a service's sessions get unless it names itself (pg_stat_activity shows it). */
export const DEFAULT_CLIENT_APPLICATION_NAME = 'voipdb-client';

/**
 * A ConnectionConfig from a postgres:// URL. Missing parts stay libpq-like (port 5432, database =
 * user); no environment variable is read. Throws ConfigInvalidError naming every problem,
 * without echoing the URL (it may hold a password).
 */
export function connectionConfigFromUrl(url: string, applicationName = DEFAULT_CLIENT_APPLICATION_NAME): ConnectionConfig {
  const problems: string[] = [];
  const config = resolveConnection({ url, env: {}, applicationName }, problems);
  assertNoProblems(problems);
  return config!;
}

/**
 * A ConnectionConfig from the environment the service passes in (usually process.env):
 * DATABASE_URL, else libpq's PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD/PGSSLMODE.
 * Throws NoConnectionConfiguredError when none is set, ConfigInvalidError when one is wrong.
 */
export function connectionConfigFromEnv(env: Env, applicationName = DEFAULT_CLIENT_APPLICATION_NAME): ConnectionConfig {
  const problems: string[] = [];
  const config = resolveConnection({ env, applicationName }, problems);
  assertNoProblems(problems);
  return config!;
}

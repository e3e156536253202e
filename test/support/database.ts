import pg from 'pg';
import { inject } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { createScratchDatabase } from '../../src/database/scratch-database.js';
import type { TestServer } from './servers.js';

export type ServerName = 'pg18' | 'pg15';

export function server(name: ServerName): TestServer {
  const servers = inject('servers');
  // Only the 'servers' project of vitest.config.ts starts them; a test file listed under
  // 'no-server' that needs one says so here instead of failing on undefined.
  if (!servers)
    throw new Error(
      `no test server was started: this test file needs the '${name}' server, so it must not be in vitest.config.ts's NO_SERVER list`,
    );
  return servers[name];
}

export function serverConfig(s: TestServer, database = 'postgres'): ConnectionConfig {
  return { host: s.host, port: s.port, user: s.user, password: s.password, database, applicationName: 'voipdb-test' };
}

export function configUrl(c: ConnectionConfig): string {
  const url = new URL('postgres://x');
  url.hostname = c.host;
  url.port = String(c.port);
  url.username = c.user;
  if (c.password) url.password = c.password;
  url.pathname = `/${c.database}`;
  return url.toString();
}

/** A fresh, empty database on the named server; each test file asks for its own. */
export async function freshDatabase(name: ServerName | TestServer, prefix = 't'): Promise<ConnectionConfig> {
  const s = typeof name === 'string' ? server(name) : name;
  return createScratchDatabase(serverConfig(s), prefix);
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  s: TestServer,
  sql: string,
  params: unknown[] = [],
  database = 'postgres',
): Promise<T[]> {
  return query<T>(serverConfig(s, database), sql, params);
}

export async function query<T extends pg.QueryResultRow = pg.QueryResultRow>(
  config: ConnectionConfig,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ ...config, application_name: 'voipdb-test' });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { createScratchDatabase } from '../../src/database/scratch-database.js';
import { makeRunDir, startLocalServer, stopLocalServer, type LocalServer } from '../../test/support/servers.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(REPO, 'dist/cli/main.js');

/** The throwaway server of one bench run and the ways to reach it. */
export interface BenchContext {
  server: LocalServer;
  /** Folder for generated files (schema.sql, COPY data); removed at the end. */
  workDir: string;
  /** Environment that lets psql, pgbench, node and the CLI reach the server without a password on their command line. */
  env: NodeJS.ProcessEnv;
  config(database: string): ConnectionConfig;
  /** postgres://user@host:port/db: no password in it (it travels in PGPASSWORD). */
  url(database: string): string;
  /** A new empty database, or a copy of `template`; returns its name. */
  createDatabase(prefix: string, template?: string): Promise<string>;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(database: string, sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startBench(name: 'pg18' | 'pg15'): Promise<BenchContext> {
  const root = await makeRunDir('bench');
  const server = await startLocalServer(name, root);
  const workDir = path.join(root, 'work');
  await fs.mkdir(workDir, { recursive: true, mode: 0o755 });
  await fs.chmod(workDir, 0o755);
  const config = (database: string): ConnectionConfig => ({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database,
    applicationName: 'voipdb-bench',
  });
  const query = async <T extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ ...config(database), application_name: 'voipdb-bench' });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    server,
    workDir,
    env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password, PGDATABASE: 'postgres' },
    config,
    url: (database) => `postgres://${server.user}@${server.host}:${server.port}/${database}`,
    async createDatabase(prefix, template) {
      return (await createScratchDatabase(config('postgres'), prefix, template ? { template } : {})).database;
    },
    query,
    async stop() {
      await stopLocalServer(server);
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

import { requireConnection, type ConnectionConfig } from '../config/connection.js';
import { startLocalServer } from '../local/server.js';
import type { CliIO } from './io.js';

/**
 * Where `db dump`, `db codegen` and `db check` build their scratch databases: the server of the
 * given URL, else the local embedded PostgreSQL 18 (started if needed), never a guess from
 * DATABASE_URL: these commands create and drop databases.
 */
export async function scratchServer(io: CliIO, url: string | undefined): Promise<{ server: ConnectionConfig; label: string }> {
  if (url !== undefined) {
    return { server: requireConnection({ url, env: io.env }), label: 'the given server' };
  }
  const local = await startLocalServer(io.cwd);
  return { server: { ...local.config, database: 'postgres' }, label: 'the local embedded PostgreSQL 18' };
}

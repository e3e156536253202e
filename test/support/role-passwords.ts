import pg from 'pg';
import { serverConfig, server, type ServerName } from './database.js';

/**
 * Roles are cluster-wide, so a test file that sets (or logs in with) a platform role's password
 * races every other file doing the same on that server. Such sections run under this
 * server-wide advisory lock, held on a connection of its own to the `postgres` database.
 */
export async function acquireRolePasswordLock(name: ServerName): Promise<() => Promise<void>> {
  const client = new pg.Client({ ...serverConfig(server(name)), application_name: 'voipdb-test-role-passwords' });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('voipdb-test:role-passwords'))");
  } catch (error) {
    await client.end();
    throw error;
  }
  // Closing the session releases the lock.
  return () => client.end();
}

export async function withRolePasswordLock<T>(name: ServerName, fn: () => Promise<T>): Promise<T> {
  const release = await acquireRolePasswordLock(name);
  try {
    return await fn();
  } finally {
    await release();
  }
}

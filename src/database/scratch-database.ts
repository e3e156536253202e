import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type ConnectionConfig, withDatabase } from '../config/connection.js';
import { withConnection } from './connect.js';

/**
 * The one way scratch databases are made and dropped: by `db check`, `db dump`, `db codegen`,
 * the tests and the benchmarks. Named `<prefix>_<random hex>`; every name is quoted with pg's own
 * escapeIdentifier, whoever chose it. The server connection needs CREATEDB.
 */
export async function createScratchDatabase(
  server: ConnectionConfig,
  prefix: string,
  options: { template?: string } = {},
): Promise<ConnectionConfig> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const template = options.template === undefined ? '' : ` TEMPLATE ${pg.escapeIdentifier(options.template)}`;
  await withConnection(withDatabase(server, 'postgres'), (c) => c.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}${template}`));
  return withDatabase(server, name);
}

/** Drops a scratch database, closing its sessions (WITH (FORCE)); a missing one is no error. */
export async function dropScratchDatabase(server: ConnectionConfig, database: string): Promise<void> {
  await withConnection(withDatabase(server, 'postgres'), (c) =>
    c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`),
  );
}

/** Runs `fn` on a new scratch database and drops it afterwards, whatever happens. */
export async function withScratchDatabase<T>(
  server: ConnectionConfig,
  prefix: string,
  fn: (db: ConnectionConfig) => Promise<T>,
): Promise<T> {
  const db = await createScratchDatabase(server, prefix);
  try {
    return await fn(db);
  } finally {
    await dropScratchDatabase(server, db.database).catch(() => undefined);
  }
}

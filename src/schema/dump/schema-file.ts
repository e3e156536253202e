import { promises as fs } from 'node:fs';
import type pg from 'pg';
import type { ConnectionConfig } from '../../config/connection.js';
import { withConnection } from '../../database/connect.js';
import { readCatalog } from './catalog.js';
import { renderDump } from './render.js';

export { DUMP_HEADER } from './render.js';

/**
 * schema.sql: the whole schema of a database as SQL that psql loads into an empty database.
 * Our own catalog dumper, because pg_dump cannot serve (Debian's is 15 and refuses an 18
 * server, and its output carries versions and a random \restrict key). The text is the same
 * whether PostgreSQL 15 or 18 built the database, and dumping a loaded copy gives it again.
 */
export async function dumpSchema(client: pg.Client): Promise<string> {
  return renderDump(await readCatalog(client));
}

/** Dumps the database `config` points at. */
export async function dumpDatabase(config: ConnectionConfig): Promise<string> {
  return withConnection(config, dumpSchema);
}

/** `db dump`: writes schema.sql from the database `config` points at; returns the text written. */
export async function writeSchemaFile(config: ConnectionConfig, file: string): Promise<string> {
  const text = await dumpDatabase(config);
  await fs.writeFile(file, text);
  return text;
}

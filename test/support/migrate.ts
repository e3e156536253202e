import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/migrate.js';
import { freshDatabase, type ServerName } from './database.js';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations');

/**
 * Applies every migration of the repository with the engine, as `db migrate` does, but without
 * its date-dependent CDR partitions step: tests start from the schema exactly as schema.sql has it.
 */
export async function applyAllMigrations(config: ConnectionConfig, env: Record<string, string | undefined> = {}): Promise<void> {
  await migrate(config, { migrationsDir: MIGRATIONS_DIR, env, cdrPartitionsAhead: -1 });
}

/** A fresh database on the named server with every migration applied. */
export async function migratedDatabase(name: ServerName, env: Record<string, string | undefined> = {}): Promise<ConnectionConfig> {
  const db = await freshDatabase(name);
  await applyAllMigrations(db, env);
  return db;
}

export async function listMigrationFiles(): Promise<string[]> {
  return (await fs.readdir(MIGRATIONS_DIR)).sort();
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/operations.js';
import { freshDatabase, type ServerName } from './database.js';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations');

/**
 * Applies every migration of the repository with the bare engine, without the platform's hooks
 * (role passwords, date-dependent CDR partitions): tests start from the schema exactly as schema.sql has it.
 */
export async function applyAllMigrations(config: ConnectionConfig): Promise<void> {
  await migrate(config, { migrationsDir: MIGRATIONS_DIR });
}

/** A fresh database on the named server with every migration applied. */
export async function migratedDatabase(name: ServerName): Promise<ConnectionConfig> {
  const db = await freshDatabase(name);
  await applyAllMigrations(db);
  return db;
}

export async function listMigrationFiles(): Promise<string[]> {
  return (await fs.readdir(MIGRATIONS_DIR)).sort();
}

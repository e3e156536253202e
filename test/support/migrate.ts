import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { migrate } from '../../src/engine/operations.js';
import { runCli } from './cli.js';
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

/** A copy of the repository's migrations in a new temporary folder, for tests that add one of their own. */
export async function copyOfMigrations(label: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `voipdb-${label}-migrations-`));
  for (const f of await fs.readdir(MIGRATIONS_DIR)) await fs.copyFile(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  return dir;
}

/** The platform roles' passwords the tests migrate with (throwaway values, as the environment gives them). */
export const TEST_ROLE_PASSWORDS = { kamailio: 'kamailio-test-pw', voipadmin: 'voipadmin-test-pw' } as const;

/**
 * `db migrate` then `db seed` with the built CLI, as an operator sets up a primary: role passwords
 * from the environment, the replicator's the one the test's standby logs in with (so streaming
 * goes on). Throws with the command's output if either fails or writes to stderr.
 */
export async function migrateAndSeedByCli(url: string, replicatorPassword: string, migrationsDir?: string): Promise<void> {
  const dirArgs = migrationsDir ? ['--migrations-dir', migrationsDir] : [];
  const migrated = await runCli(['migrate', '--url', url, ...dirArgs], {
    env: {
      VOIPDB_KAMAILIO_PASSWORD: TEST_ROLE_PASSWORDS.kamailio,
      VOIPDB_VOIPADMIN_PASSWORD: TEST_ROLE_PASSWORDS.voipadmin,
      VOIPDB_REPLICATOR_PASSWORD: replicatorPassword,
    },
    timeoutMs: 120_000,
  });
  if (migrated.code !== 0 || migrated.stderr !== '')
    throw new Error(`db migrate failed (${migrated.code}):\n${migrated.stderr}${migrated.stdout}`);
  const seeded = await runCli(['seed', '--url', url], { timeoutMs: 120_000 });
  if (seeded.code !== 0 || seeded.stderr !== '') throw new Error(`db seed failed (${seeded.code}):\n${seeded.stderr}${seeded.stdout}`);
}

import path from 'node:path';
import type { ConnectionConfig, Env } from '../config/connection.js';
import { withScratchDatabase } from '../database/scratch-database.js';
import { migrate } from '../engine/operations.js';
import { platformHooks } from '../platform/hooks.js';
import { GENERATED_TYPES_FILE, writeTypesFile } from './codegen.js';
import { writeSchemaFile } from './dump/schema-file.js';

/**
 * Runs `fn` on a scratch database built from the migrations on `server` (CREATEDB needed),
 * and drops it afterwards whatever happens. `db dump` and `db codegen` write from such a database,
 * never from a live one, so that what is committed is what the migrations build.
 */
export async function withMigratedScratch<T>(
  server: ConnectionConfig,
  options: { migrationsDir: string; env?: Env },
  fn: (db: ConnectionConfig) => Promise<T>,
): Promise<T> {
  return withScratchDatabase(server, 'voipdb_scratch', async (db) => {
    await migrate(db, { migrationsDir: options.migrationsDir, hooks: platformHooks(options.env ?? {}) });
    return fn(db);
  });
}

/** `db dump`: schema.sql of the migrations, written to `file` (default <projectDir>/schema.sql). */
export function dumpMigrations(server: ConnectionConfig, options: ArtifactOptions): Promise<string> {
  return writeArtifact(server, options, 'schema.sql', writeSchemaFile);
}

/** `db codegen`: the Kysely types of the migrations, written to `file` (default <projectDir>/src/generated/db.ts). */
export function codegenMigrations(server: ConnectionConfig, options: ArtifactOptions): Promise<string> {
  return writeArtifact(server, options, GENERATED_TYPES_FILE, writeTypesFile);
}

interface ArtifactOptions {
  projectDir: string;
  migrationsDir?: string;
  file?: string;
  env?: Env;
}

/** One file made from a scratch database migrated with the project's migrations; returns its path. */
async function writeArtifact(
  server: ConnectionConfig,
  options: ArtifactOptions,
  defaultFile: string,
  write: (db: ConnectionConfig, file: string) => Promise<unknown>,
): Promise<string> {
  const file = options.file ?? path.join(options.projectDir, defaultFile);
  await withMigratedScratch(
    server,
    { migrationsDir: options.migrationsDir ?? path.join(options.projectDir, 'migrations'), ...(options.env ? { env: options.env } : {}) },
    (db) => write(db, file),
  );
  return file;
}

/** Both at once, from one scratch database: what the lead runs after changing a migration. */
export async function regenerateSchemaArtifacts(
  server: ConnectionConfig,
  options: { projectDir: string; env?: Env },
): Promise<{ schemaFile: string; typesFile: string }> {
  const schemaFile = path.join(options.projectDir, 'schema.sql');
  const typesFile = path.join(options.projectDir, GENERATED_TYPES_FILE);
  await withMigratedScratch(
    server,
    { migrationsDir: path.join(options.projectDir, 'migrations'), ...(options.env ? { env: options.env } : {}) },
    async (db) => {
      await writeSchemaFile(db, schemaFile);
      await writeTypesFile(db, typesFile);
    },
  );
  return { schemaFile, typesFile };
}

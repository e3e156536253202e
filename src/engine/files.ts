import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MigrationFileUnsupportedError, MigrationVersionDuplicateError, UsageError } from '../errors.js';

/** First line of a migration that must run outside a transaction (CREATE INDEX CONCURRENTLY). */
export const NO_TRANSACTION_MARKER = '-- voipdb:no-transaction';

const UP_FILE = /^(\d{1,9})_([a-z0-9][a-z0-9_]*)\.sql$/;
/** TypeScript/JavaScript migrations were removed; a file that looks like one is refused, never skipped. */
const MODULE_FILE = /^(\d{1,9})_([a-z0-9][a-z0-9_]*)\.(ts|js|mjs|cjs|mts|cts)$/;
const DOWN_FILE = /^(\d{1,9})_([a-z0-9][a-z0-9_]*)\.down\.sql$/;

export interface MigrationFile {
  version: number;
  name: string;
  /** File name of the up migration, e.g. 0003_kamailio_schema.sql. */
  file: string;
  path: string;
  /** sha256 of the up file with line endings normalised to \n. */
  checksum: string;
  sql: string;
  transactional: boolean;
  /** Whether it can be reverted: it has a .down.sql file. */
  hasDown: boolean;
  down?: { file: string; path: string; sql: string; transactional: boolean };
}

export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n')).digest('hex');
}

export function isNoTransaction(sql: string): boolean {
  const firstLine = sql.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return firstLine.trim() === NO_TRANSACTION_MARKER;
}

/**
 * Reads the migrations folder. Ordering is by the numeric version, sorted here in code,
 * never by the directory listing. Two files with one version are refused.
 */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    throw new UsageError(`cannot read the migrations folder ${dir}`, 'run from the repository root or pass --migrations-dir', {
      cause: error,
    });
  }
  const ups = new Map<number, string[]>();
  const downs = new Map<number, string>();
  for (const name of names) {
    if (MODULE_FILE.test(name)) throw new MigrationFileUnsupportedError(name);
    const down = DOWN_FILE.exec(name);
    if (down) {
      downs.set(Number(down[1]), name);
      continue;
    }
    const up = UP_FILE.exec(name);
    if (up) {
      const version = Number(up[1]);
      ups.set(version, [...(ups.get(version) ?? []), name]);
    }
  }
  for (const [version, files] of ups) {
    if (files.length > 1) throw new MigrationVersionDuplicateError(version, files.sort());
  }
  const migrations: MigrationFile[] = [];
  for (const [version, [file]] of [...ups.entries()].sort((a, b) => a[0] - b[0])) {
    const filePath = path.join(dir, file!);
    const text = await fs.readFile(filePath, 'utf8');
    const match = UP_FILE.exec(file!)!;
    const downName = downs.get(version);
    let down: MigrationFile['down'];
    if (downName) {
      const downSql = await fs.readFile(path.join(dir, downName), 'utf8');
      down = { file: downName, path: path.join(dir, downName), sql: downSql, transactional: !isNoTransaction(downSql) };
    }
    migrations.push({
      version,
      name: match[2]!,
      file: file!,
      path: filePath,
      checksum: checksumOf(text),
      sql: text,
      transactional: !isNoTransaction(text),
      hasDown: down !== undefined,
      ...(down ? { down } : {}),
    });
  }
  return migrations;
}

export function versionLabel(version: number): string {
  return String(version).padStart(4, '0');
}

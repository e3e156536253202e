import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  MigrationFileNameInvalidError,
  MigrationFileNotUtf8Error,
  MigrationFileUnsupportedError,
  MigrationVersionDuplicateError,
} from './errors.js';
import { UsageError } from '../errors.js';
import { isNoTransaction, NO_TRANSACTION_MARKER, sqlText } from '../sql/source.js';
import { decodeUtf8 } from '../sql/utf8.js';

export { isNoTransaction, NO_TRANSACTION_MARKER };

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
  /** SQL text, without a leading byte order mark. */
  sql: string;
  transactional: boolean;
  /** Whether it can be reverted: it has a .down.sql file. */
  hasDown: boolean;
  down?: { file: string; path: string; sql: string; transactional: boolean };
}

export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n?/g, '\n')).digest('hex');
}

/**
 * Which names in the migrations folder are migrations, which are refused, which are ignored.
 * A name that starts with a digit, or ends in .sql, is meant as a migration: it must follow the
 * rule, or the change it holds would never ship. Dotfiles (.gitkeep), READMEs and other files,
 * and .ts/.js files without a version, are ignored. A versioned .ts/.js file is a migration
 * of a kind no longer supported: `readMigrationFiles` refuses it on its own.
 */
export function classifyFileName(name: string): 'up' | 'down' | 'module' | 'ignored' | { problem: string } {
  if (DOWN_FILE.test(name)) return 'down';
  if (MODULE_FILE.test(name)) return 'module';
  if (UP_FILE.test(name)) return 'up';
  if (name.startsWith('.')) return 'ignored';
  if (!/^\d/.test(name) && !/\.sql$/i.test(name)) return 'ignored';
  return { problem: problemOf(name) };
}

function problemOf(name: string): string {
  const suggestion = suggestedName(name);
  const rename = suggestion && suggestion !== name ? ` (rename it to ${suggestion})` : '';
  if (!/^\d/.test(name)) return `it has no version number${rename}`;
  if (!/^\d{1,9}/.test(name) || /^\d{10}/.test(name)) return `the version has more than 9 digits${rename}`;
  if (!/^\d+_/.test(name)) return `the version is not followed by an underscore${rename}`;
  if (!/\.sql$/.test(name)) return `it does not end in .sql or .down.sql${rename}`;
  return `the name after the version may hold only lower-case letters, digits and underscores${rename}`;
}

function suggestedName(name: string): string | undefined {
  const m = /^(\d{1,9})(?!\d)[-_ .]*(.+?)((?:\.down)?\.sql)$/i.exec(name);
  if (!m) return undefined;
  const slug = m[2]!
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return slug ? `${m[1]}_${slug}${m[3]!.toLowerCase()}` : undefined;
}

/**
 * Reads the migrations folder. Ordering is by the numeric version, sorted here in code, never
 * by the directory listing. Refused before anything runs: a misnamed file, two files with one
 * version, a down file without its up file, a file that is not UTF-8.
 */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new UsageError(`cannot read the migrations folder ${dir}`, 'run from the repository root or pass --migrations-dir', {
      cause: error,
    });
  }
  const ups = new Map<number, string[]>();
  const downs: string[] = [];
  const problems: Array<{ file: string; problem: string }> = [];
  for (const entry of entries.filter((e) => !e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name;
    const kind = classifyFileName(name);
    if (kind === 'module') throw new MigrationFileUnsupportedError(name);
    if (kind === 'down') downs.push(name);
    else if (kind === 'up') {
      const version = Number(UP_FILE.exec(name)![1]);
      ups.set(version, [...(ups.get(version) ?? []), name]);
    } else if (kind !== 'ignored') problems.push({ file: name, problem: kind.problem });
  }
  const upNames = new Set([...ups.values()].flat().map(baseOf));
  for (const name of downs) {
    if (!upNames.has(baseOf(name))) problems.push({ file: name, problem: `no up file ${baseOf(name)}.sql goes with it` });
  }
  if (problems.length > 0) throw new MigrationFileNameInvalidError(dir, problems);
  for (const [version, files] of ups) {
    if (files.length > 1) throw new MigrationVersionDuplicateError(version, files.sort());
  }
  const migrations: MigrationFile[] = [];
  for (const [version, [file]] of [...ups.entries()].sort((a, b) => a[0] - b[0])) {
    const filePath = path.join(dir, file!);
    const text = await readUtf8(filePath, file!);
    const match = UP_FILE.exec(file!)!;
    const downName = downs.find((d) => baseOf(d) === baseOf(file!));
    let down: MigrationFile['down'];
    if (downName) {
      const downSql = await readUtf8(path.join(dir, downName), downName);
      down = { file: downName, path: path.join(dir, downName), sql: sqlText(downSql), transactional: !isNoTransaction(downSql) };
    }
    migrations.push({
      version,
      name: match[2]!,
      file: file!,
      path: filePath,
      // Of the file as it is (BOM included), so that checksums recorded before stay valid.
      checksum: checksumOf(text),
      sql: sqlText(text),
      transactional: !isNoTransaction(text),
      hasDown: down !== undefined,
      ...(down ? { down } : {}),
    });
  }
  return migrations;
}

/** NNNN_name of an up or down file. */
function baseOf(file: string): string {
  return file.replace(/(\.down)?\.(sql|ts|js|mjs)$/, '');
}

/** A migration file's text; bytes that are not UTF-8 are refused with their line. */
export async function readUtf8(filePath: string, file: string): Promise<string> {
  const decoded = decodeUtf8(await fs.readFile(filePath));
  if (!decoded.ok) throw new MigrationFileNotUtf8Error(file, decoded.line, decoded.byteOffset);
  return decoded.text;
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MigrationNameInvalidError } from './errors.js';
import { NO_TRANSACTION_MARKER, readMigrationFiles } from './files.js';
import { migrationLabel } from './migration-label.js';

/** Writes NNNN_name.sql (and .down.sql) with the next free number; refuses to overwrite. */
export async function createMigrationFile(
  dir: string,
  name: string,
  options: { transactional: boolean; withDown: boolean },
): Promise<string[]> {
  if (!/^[a-z0-9][a-z0-9_]{0,62}$/.test(name)) {
    throw new MigrationNameInvalidError(
      `migration name "${name}" is not valid`,
      'use lowercase letters, digits and _, e.g. add_queue_timeouts',
    );
  }
  await fs.mkdir(dir, { recursive: true });
  const existing = await readMigrationFiles(dir);
  const next = (existing.at(-1)?.version ?? 0) + 1;
  const base = migrationLabel({ version: next, name });
  const up = path.join(dir, `${base}.sql`);
  const header = options.transactional
    ? `-- ${base}: runs in one transaction with lock_timeout set by the engine.\n`
    : `${NO_TRANSACTION_MARKER}\n-- ${base}: runs outside a transaction, statement by statement (CREATE INDEX CONCURRENTLY).\n`;
  await fs.writeFile(up, header, { flag: 'wx' });
  const created = [up];
  if (options.withDown) {
    const downFile = path.join(dir, `${base}.down.sql`);
    await fs.writeFile(downFile, `-- reverts ${base}\n`, { flag: 'wx' });
    created.push(downFile);
  }
  return created;
}

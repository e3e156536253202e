import type { MigrationFile } from './files.js';
import type { AppliedMigration } from './history.js';

/** One applied history row next to its file: matching, changed since it ran, or gone. */
export interface AppliedEntry {
  row: AppliedMigration;
  file: MigrationFile | undefined;
  state: 'ok' | 'changed' | 'missing';
}

export interface HistoryComparison {
  applied: AppliedEntry[];
  /** Files not in the history, in version order. */
  pending: MigrationFile[];
  /** Pending files that sort before the last applied version (a merge that came too late). */
  outOfOrder: MigrationFile[];
  changed: AppliedEntry[];
  missing: AppliedEntry[];
}

/**
 * The one comparison of the history table with the migrations folder. Pure, so it is tested
 * without a server; the refusals, `db status`, `db check`'s live checksums and `db doctor` all
 * read it, each deciding for itself what a difference means.
 */
export function compareHistory(files: readonly MigrationFile[], history: readonly AppliedMigration[]): HistoryComparison {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const applied: AppliedEntry[] = history.map((row) => {
    const file = byVersion.get(row.version);
    return { row, file, state: !file ? 'missing' : file.checksum !== row.checksum ? 'changed' : 'ok' };
  });
  const done = new Set(history.map((h) => h.version));
  const pending = files.filter((f) => !done.has(f.version));
  const last = history.reduce((max, h) => Math.max(max, h.version), Number.NEGATIVE_INFINITY);
  return {
    applied,
    pending,
    outOfOrder: pending.filter((f) => f.version < last),
    changed: applied.filter((a) => a.state === 'changed'),
    missing: applied.filter((a) => a.state === 'missing'),
  };
}

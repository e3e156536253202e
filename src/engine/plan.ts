import {
  MigrationChecksumMismatchError,
  MigrationFileMissingError,
  MigrationOutOfOrderError,
  MigrationTargetUnknownError,
  DownMigrationMissingError,
  UsageError,
} from '../errors.js';
import type { MigrationFile } from './files.js';
import type { AppliedMigration } from './history.js';

/**
 * Checks the applied history against the files, and refuses before anything is locked or
 * written: a changed applied file, a missing applied file, a new file that sorts before the
 * last applied one. Pure, so it is tested without a server.
 */
export function verifyHistory(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): void {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) throw new MigrationFileMissingError(row.version, row.name);
    if (file.checksum !== row.checksum) throw new MigrationChecksumMismatchError(row.version, file.file, row.checksum, file.checksum);
  }
  const last = applied.at(-1)?.version;
  if (last === undefined) return;
  const appliedVersions = new Set(applied.map((a) => a.version));
  const early = files.find((f) => f.version < last && !appliedVersions.has(f.version));
  if (early) throw new MigrationOutOfOrderError(early.file, last);
}

/** Pending migrations in order, up to and including `to` when given. */
export function planUp(files: readonly MigrationFile[], applied: readonly AppliedMigration[], to?: number): MigrationFile[] {
  if (to !== undefined && !files.some((f) => f.version === to)) throw new MigrationTargetUnknownError(to);
  const done = new Set(applied.map((a) => a.version));
  return files.filter((f) => !done.has(f.version) && (to === undefined || f.version <= to));
}

/**
 * Applied migrations to revert, newest first: everything after version `to` (which stays
 * applied; `to: 0` reverts all), or the newest `step`. A migration without a down file stops
 * the plan before anything runs.
 */
export function planDown(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
  target: { to?: number; step?: number },
): MigrationFile[] {
  if ((target.to === undefined) === (target.step === undefined))
    throw new UsageError('give exactly one of --to <version> or --step <n>', 'e.g. `db down --step 1`');
  if (target.to !== undefined && target.to !== 0 && !applied.some((a) => a.version === target.to)) {
    throw new MigrationTargetUnknownError(target.to);
  }
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const newestFirst = [...applied].reverse();
  const chosen = target.step !== undefined ? newestFirst.slice(0, target.step) : newestFirst.filter((a) => a.version > target.to!);
  const plan = chosen.map((a) => byVersion.get(a.version)!);
  const withoutDown = plan.find((f) => !f.hasDown);
  if (withoutDown) throw new DownMigrationMissingError(withoutDown.file);
  return plan;
}

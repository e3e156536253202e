import {
  MigrationChecksumMismatchError,
  MigrationFileMissingError,
  MigrationOutOfOrderError,
  MigrationTargetUnknownError,
  MigrationDownMissingError,
} from './errors.js';
import { UsageError } from '../errors.js';
import type { MigrationFile } from './files.js';
import type { AppliedMigration } from './history.js';
import { compareHistory } from './compare.js';

/** Where a run stops: at a version (`to`), after a number of migrations (`step`), or (neither) at the end. */
export interface MigrationTarget {
  to?: number;
  step?: number;
}

/**
 * Refuses, before anything is locked or written, a history the files no longer explain: a
 * changed applied file, a missing applied file, a new file that sorts before the last applied one.
 */
export function verifyHistory(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): void {
  const comparison = compareHistory(files, applied);
  for (const entry of comparison.applied) {
    if (!entry.file) throw new MigrationFileMissingError(entry.row.version, entry.row.name);
    if (entry.state === 'changed') {
      throw new MigrationChecksumMismatchError(entry.row.version, entry.file.file, entry.row.checksum, entry.file.checksum);
    }
  }
  const early = comparison.outOfOrder[0];
  if (early) throw new MigrationOutOfOrderError(early.file, applied.at(-1)!.version);
}

/** Pending migrations in order: up to and including `to`, or the next `step`, or all. */
export function planUp(
  files: readonly MigrationFile[],
  applied: readonly AppliedMigration[],
  target: MigrationTarget = {},
): MigrationFile[] {
  const { to, step } = target;
  if (to !== undefined && step !== undefined)
    throw new UsageError('give at most one of --to <version> or --step <n>', 'e.g. `db migrate --step 1`');
  if (to !== undefined && !files.some((f) => f.version === to)) throw new MigrationTargetUnknownError(to);
  const pending = compareHistory(files, applied).pending.filter((f) => to === undefined || f.version <= to);
  return step === undefined ? pending : pending.slice(0, step);
}

/**
 * Applied migrations to revert, newest first: everything after version `to` (which stays
 * applied; `to: 0` reverts all), or the newest `step`. A migration without a down file stops
 * the plan before anything runs.
 */
export function planDown(files: readonly MigrationFile[], applied: readonly AppliedMigration[], target: MigrationTarget): MigrationFile[] {
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
  if (withoutDown) throw new MigrationDownMissingError(withoutDown.file);
  return plan;
}

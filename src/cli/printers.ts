import type { StatusRun } from '../engine/operations.js';
import { migrationLabel } from '../engine/migration-label.js';
import { type MigrationRun, withStatus } from '../engine/result.js';
import type { MigrationEvent } from '../engine/run-migration.js';
import { paint, type CliIO } from './io.js';

/**
 * The lines more than one command prints (db migrate, db down, db up, db adopt, db status):
 * one place, so that a run reads the same whichever command made it.
 */

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One progress line per migration, as the engine reports it done. */
export function progressPrinter(io: CliIO, verb: string): (e: MigrationEvent) => void {
  return (e) => {
    if (e.type === 'done')
      io.out(`  ${paint(io, 'green', verb)} ${migrationLabel(e.migration)} ${paint(io, 'dim', `(${formatMs(e.durationMs)})`)}`);
    if (e.type === 'retry')
      io.out(`  ${paint(io, 'yellow', 'retry')} ${e.migration.file}: lock_timeout, attempt ${e.attempt + 1} in ${formatMs(e.waitMs)}`);
    if (e.type === 'invalid-index-dropped')
      io.out(`  ${paint(io, 'yellow', 'rebuild')} ${e.migration.file}: dropped the INVALID index ${e.index} an interrupted run left`);
  };
}

/** What the hooks changed and the final line, shared by `db migrate` and `db up`. */
export function printMigrateSummary(io: CliIO, run: MigrationRun): void {
  for (const report of run.hooks) for (const change of report.changes) io.out(`  ${paint(io, 'green', report.hook)} ${change}`);
  const applied = withStatus(run, 'applied').length;
  io.out(
    applied === 0
      ? `up to date: applied 0 migration(s), ${run.alreadyApplied} applied in all, nothing pending (${formatMs(run.durationMs)})`
      : `done: applied ${applied} migration(s) in ${formatMs(run.durationMs)}; ${run.alreadyApplied + applied} applied in all`,
  );
}

/** Applied and pending migrations, one per line, under the server's version and role. */
export function printStatus(io: CliIO, where: string, s: StatusRun): void {
  io.out(
    `${where}: PostgreSQL ${s.node.serverVersion}, ${s.node.role === 'primary' ? paint(io, 'green', 'primary') : paint(io, 'yellow', 'standby (read-only)')}`,
  );
  for (const a of s.applied) {
    const flag = a.fileMissing ? paint(io, 'red', ' FILE MISSING') : a.fileChanged ? paint(io, 'red', ' FILE CHANGED SINCE APPLIED') : '';
    io.out(
      `  ${paint(io, 'green', a.adopted ? 'adopted' : 'applied')} ${migrationLabel(a)} ${paint(io, 'dim', `${a.appliedAt} by ${a.appliedBy}`)}${flag}`,
    );
  }
  for (const p of s.pending) io.out(`  ${paint(io, 'yellow', 'pending')} ${migrationLabel(p)}`);
  io.out(`${s.applied.length} applied, ${s.pending.length} pending`);
}

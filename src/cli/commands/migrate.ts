import type { Command } from 'commander';
import { resolveSettings } from '../../config/settings.js';
import { describeConnection } from '../../config/connection.js';
import { migrate, planRun } from '../../engine/migrate.js';
import type { MigrationRun } from '../../engine/result.js';
import { withStatus } from '../../engine/result.js';
import type { MigrationEvent } from '../../engine/run-migration.js';
import { versionLabel } from '../../engine/files.js';
import { ExitCode } from '../../errors.js';
import { platformHooks } from '../../platform/hooks.js';
import { paint, type CliIO } from '../io.js';
import { addConnectionOptions, addLimitOptions, limitFlags } from '../options.js';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One progress line per migration, as the engine reports it done. */
export function progressPrinter(io: CliIO, verb: string): (e: MigrationEvent) => void {
  return (e) => {
    if (e.type === 'done')
      io.out(
        `  ${paint(io, 'green', verb)} ${versionLabel(e.migration.version)}_${e.migration.name} ${paint(io, 'dim', `(${formatMs(e.durationMs)})`)}`,
      );
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

export function registerMigrate(program: Command, io: CliIO, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('migrate')
    .description('apply pending migrations (one transaction each, under a lock), then apply role passwords from the environment')
    .option('--to <version>', 'stop after this version')
    .option('--step <n>', 'apply only the next n pending migrations')
    .option('--dry-run', 'list what would run, with its SQL; write nothing');
  addConnectionOptions(cmd);
  addLimitOptions(cmd);
  cmd.action((opts: Record<string, string | boolean | undefined>) =>
    run(async () => {
      const { connection, engine } = resolveSettings(
        {
          url: opts.url as string | undefined,
          migrationsDir: opts.migrationsDir as string | undefined,
          to: opts.to as string | undefined,
          step: opts.step as string | undefined,
          ...limitFlags(opts),
        },
        io.env,
        io.cwd,
      );
      if (opts.dryRun) {
        const plan = await planRun(connection, engine);
        if (plan.steps.length === 0) {
          io.out(`dry run: nothing to apply on ${describeConnection(connection)}`);
          return ExitCode.ok;
        }
        io.out(
          `dry run: ${plan.steps.length} migration(s) would be applied on ${describeConnection(connection)}${plan.node.role === 'standby' ? ' (but this node is a standby: migrate would refuse)' : ''}; nothing was written`,
        );
        for (const m of plan.steps) {
          io.out(`-- ${paint(io, 'bold', m.file)}${m.transactional ? '' : ' (outside a transaction)'}`);
          io.out(m.sql.trimEnd());
        }
        return ExitCode.ok;
      }
      io.out(`migrating ${describeConnection(connection)}`);
      const result = await migrate(connection, { ...engine, hooks: platformHooks(io.env), onEvent: progressPrinter(io, 'applied') });
      printMigrateSummary(io, result);
      return ExitCode.ok;
    }),
  );
}

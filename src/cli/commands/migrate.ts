import type { Command } from 'commander';
import { resolveSettings } from '../../config/settings.js';
import { describeConnection } from '../../config/connection.js';
import { migrate, planMigrate, type MigrateResult } from '../../engine/migrate.js';
import type { MigrationEvent } from '../../engine/run-migration.js';
import { versionLabel } from '../../engine/files.js';
import { ExitCode } from '../../errors.js';
import { paint, type CliIO } from '../io.js';
import { addConnectionOptions, addLimitOptions } from '../options.js';

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** One progress line per migration, as it happens. */
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

/** The post-migrate steps and the final line, shared by `db migrate` and `db up`. */
export function printMigrateSummary(io: CliIO, result: MigrateResult): void {
  for (const p of result.postMigrate.passwords) {
    if (p.action === 'set') io.out(`  ${paint(io, 'green', 'password')} role ${p.role}: applied (SCRAM-SHA-256 verifier computed here)`);
  }
  if (result.postMigrate.cdrPartitionsCreated.length > 0) {
    io.out(`  ${paint(io, 'green', 'partitions')} created ${result.postMigrate.cdrPartitionsCreated.join(', ')}`);
  }
  io.out(
    result.applied.length === 0
      ? `up to date: applied 0 migration(s), ${result.upToDate} applied in all, nothing pending (${formatMs(result.totalMs)})`
      : `done: applied ${result.applied.length} migration(s) in ${formatMs(result.totalMs)}; ${result.upToDate + result.applied.length} applied in all`,
  );
}

export function registerMigrate(program: Command, io: CliIO, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('migrate')
    .description('apply pending migrations (one transaction each, under a lock), then apply role passwords from the environment')
    .option('--to <version>', 'stop after this version')
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
          lockWait: opts.lockWait as string | undefined,
          lockTimeout: opts.lockTimeout as string | undefined,
          lockRetries: opts.lockRetries as string | undefined,
          statementTimeout: opts.statementTimeout as string | undefined,
        },
        io.env,
        io.cwd,
      );
      if (opts.dryRun) {
        const plan = await planMigrate(connection, { ...engine, ...(engine.to !== undefined ? { to: engine.to } : {}) });
        if (plan.wouldApply.length === 0) {
          io.out(`dry run: nothing to apply on ${describeConnection(connection)}`);
          return ExitCode.ok;
        }
        io.out(
          `dry run: ${plan.wouldApply.length} migration(s) would be applied on ${describeConnection(connection)}${plan.node.role === 'standby' ? ' (but this node is a standby: migrate would refuse)' : ''}; nothing was written`,
        );
        for (const m of plan.wouldApply) {
          io.out(`-- ${paint(io, 'bold', m.file)}${m.transactional ? '' : ' (outside a transaction)'}`);
          io.out(m.sql.trimEnd());
        }
        return ExitCode.ok;
      }
      io.out(`migrating ${describeConnection(connection)}`);
      const result = await migrate(connection, { ...engine, env: io.env, onEvent: progressPrinter(io, 'applied') });
      printMigrateSummary(io, result);
      return ExitCode.ok;
    }),
  );
}

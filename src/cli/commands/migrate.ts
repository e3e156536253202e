import { describeConnection } from '../../config/connection.js';
import { migrate, planRun } from '../../engine/operations.js';
import { ExitCode, UsageError } from '../../errors.js';
import { platformHooks } from '../../platform/hooks.js';
import { paint } from '../io.js';
import { printMigrateSummary, progressPrinter } from '../printers.js';
import { addConnectionOptions, addMigrationLimitOptions, type Register, settingsAction } from '../options.js';

export const registerMigrate: Register = (program, io, run) => {
  const cmd = program
    .command('migrate')
    .description('apply pending migrations (one transaction each, under a lock), then apply role passwords from the environment')
    .option('--to <version>', 'stop after this version')
    .option('--step <n>', 'apply only the next n pending migrations')
    .option('--dry-run', 'list what would run, with its SQL; write nothing');
  addMigrationLimitOptions(addConnectionOptions(cmd)).action(
    settingsAction(io, run, async (opts, { connection, engine }) => {
      if (opts.to !== undefined && opts.step !== undefined) {
        throw new UsageError('give at most one of --to <version> or --step <n>', 'e.g. `db migrate --step 1`');
      }
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
};

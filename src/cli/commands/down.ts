import { describeConnection } from '../../config/connection.js';
import { down } from '../../engine/operations.js';
import { withStatus } from '../../engine/result.js';
import { ExitCode, UsageError } from '../../errors.js';
import { addConnectionOptions, addMigrationLimitOptions, type Register, settingsAction } from '../options.js';
import { formatMs, progressPrinter } from '../printers.js';

export const registerDown: Register = (program, io, run) => {
  const cmd = program
    .command('down')
    .description('revert applied migrations newest first with their .down.sql files')
    .option('--to <version>', 'revert everything after this version (it stays applied; 0 reverts all)')
    .option('--step <n>', 'revert the newest n migrations');
  addMigrationLimitOptions(addConnectionOptions(cmd)).action(
    settingsAction(io, run, async (opts, { connection, engine }) => {
      if ((opts.to === undefined) === (opts.step === undefined)) {
        throw new UsageError('give exactly one of --to <version> or --step <n>', 'e.g. `db down --step 1` or `db down --to 3`');
      }
      io.out(`reverting on ${describeConnection(connection)}`);
      const result = await down(connection, { ...engine, onEvent: progressPrinter(io, 'reverted') });
      const reverted = withStatus(result, 'reverted').length;
      io.out(reverted === 0 ? 'nothing to revert' : `done: reverted ${reverted} migration(s) in ${formatMs(result.durationMs)}`);
      return ExitCode.ok;
    }),
  );
};

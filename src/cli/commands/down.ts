import type { Command } from 'commander';
import { describeConnection } from '../../config/connection.js';
import { down } from '../../engine/operations.js';
import { withStatus } from '../../engine/result.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { CliIO } from '../io.js';
import { addConnectionOptions, addLimitOptions, commandSettings, type ConnectionFlags, type LimitFlags } from '../options.js';
import { formatMs, progressPrinter } from '../printers.js';

/** `db down`'s flags as commander gives them. */
interface DownFlags extends ConnectionFlags, LimitFlags {
  to?: string;
  step?: string;
}

export function registerDown(program: Command, io: CliIO, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('down')
    .description('revert applied migrations newest first with their .down.sql files')
    .option('--to <version>', 'revert everything after this version (it stays applied; 0 reverts all)')
    .option('--step <n>', 'revert the newest n migrations');
  addConnectionOptions(cmd);
  addLimitOptions(cmd);
  cmd.action((opts: DownFlags) =>
    run(async () => {
      if ((opts.to === undefined) === (opts.step === undefined)) {
        throw new UsageError('give exactly one of --to <version> or --step <n>', 'e.g. `db down --step 1` or `db down --to 3`');
      }
      const { connection, engine } = commandSettings(io, opts);
      io.out(`reverting on ${describeConnection(connection)}`);
      const result = await down(connection, { ...engine, onEvent: progressPrinter(io, 'reverted') });
      io.out(
        withStatus(result, 'reverted').length === 0
          ? 'nothing to revert'
          : `done: reverted ${withStatus(result, 'reverted').length} migration(s) in ${formatMs(result.durationMs)}`,
      );
      return ExitCode.ok;
    }),
  );
}

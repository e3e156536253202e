import { describeConnection } from '../../config/connection.js';
import { optionalCount } from '../../config/durations.js';
import { withConnection } from '../../database/connect.js';
import { requirePrimary } from '../../database/node-role.js';
import { ConfigInvalidError } from '../../config/errors.js';
import { ExitCode } from '../../errors.js';
import { DEFAULT_PARTITIONS_AHEAD, MAX_PARTITIONS_AHEAD, MAX_PARTITIONS_RETAIN, maintainCdrPartitions } from '../../voip/partitions.js';
import { addConnectionOptions, addLockOptions, PARTITION_WORDING, type Register, settingsAction, jsonOption } from '../options.js';

/** `db partitions [--ahead <months>] [--retain <months>]`: CDR partition maintenance. */
export const registerPartitions: Register = (program, io, run) => {
  const cmd = program
    .command('partitions')
    .description('create the monthly CDR partitions ahead (cdr_YYYYMM, UTC) and, with --retain, detach and drop old ones')
    .option('--ahead <months>', `months after the current one to create (default ${DEFAULT_PARTITIONS_AHEAD})`)
    .option('--retain <months>', 'keep the current month and this many before it; drop older partitions (default: drop nothing)')
    .addOption(jsonOption());
  addLockOptions(addConnectionOptions(cmd), PARTITION_WORDING).action(
    settingsAction(io, run, async (opts, { connection, engine }) => {
      const { n: ahead, problem: aheadProblem } = optionalCount(opts.ahead, '--ahead', 0, MAX_PARTITIONS_AHEAD);
      const { n: retain, problem: retainProblem } = optionalCount(opts.retain, '--retain', 0, MAX_PARTITIONS_RETAIN);
      const problems = [aheadProblem, retainProblem].filter((p): p is string => p !== undefined);
      if (problems.length > 0) throw new ConfigInvalidError(problems);
      const where = describeConnection(connection);
      return withConnection(connection, async (client) => {
        await requirePrimary(client, 'maintain CDR partitions', where);
        const result = await maintainCdrPartitions(client, {
          ...(ahead !== undefined ? { ahead } : {}),
          ...(retain !== undefined ? { retain } : {}),
          limits: { lockTimeoutMs: engine.lockTimeoutMs, lockRetries: engine.lockRetries },
          lockWaitMs: engine.lockWaitMs,
          onRetry: ({ attempt, waitMs }) =>
            io.err(`  retry CDR partition maintenance: lock_timeout, attempt ${attempt + 1} in ${waitMs} ms`),
        });
        if (opts.json) {
          io.out(
            JSON.stringify({
              created: result.created,
              dropped: result.dropped,
              partitions: result.partitions.map((p) => ({ name: p.name, from: p.from.toISOString(), to: p.to.toISOString() })),
            }),
          );
        } else {
          io.out(
            `CDR partitions on ${where}: created ${result.created.length}${result.created.length ? ` (${result.created.join(', ')})` : ''}, dropped ${result.dropped.length}${result.dropped.length ? ` (${result.dropped.join(', ')})` : ''}`,
          );
          for (const p of result.partitions)
            io.out(`  ${p.name}  ${p.from.toISOString().slice(0, 10)} .. ${p.to.toISOString().slice(0, 10)}`);
        }
        return ExitCode.ok;
      });
    }),
  );
};

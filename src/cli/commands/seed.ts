import { describeConnection } from '../../config/connection.js';
import { parseCount } from '../../config/durations.js';
import { withConnection } from '../../database/connect.js';
import { requirePrimary } from '../../database/node-role.js';
import { ConfigInvalidError } from '../../config/errors.js';
import { ExitCode, UsageError } from '../../errors.js';
import { seedDemo, seedScale } from '../../voip/seed.js';
import { addConnectionOptions, type Register, settingsAction, jsonOption } from '../options.js';

/** `db seed` (the demo set, idempotent) and `db seed --scale --extensions <n> --cdrs <m>`. */
export const registerSeed: Register = (program, io, run) => {
  const cmd = program
    .command('seed')
    .description('load the demo data set (idempotent; test passwords in seeds/README.md), or with --scale a large generated one')
    .option('--scale', 'generate a large data set instead of the demo set')
    .option('--extensions <n>', 'with --scale: extensions to generate (password scale-<number>)', '0')
    .option('--cdrs <m>', 'with --scale: CDRs to generate over the 90 days before this month', '0')
    .addOption(jsonOption());
  addConnectionOptions(cmd).action(
    settingsAction(io, run, async (opts, { connection }) => {
      if (!opts.scale && (opts.extensions !== '0' || opts.cdrs !== '0')) {
        throw new UsageError('--extensions and --cdrs need --scale', 'e.g. `db seed --scale --extensions 10000 --cdrs 1000000`');
      }
      const sizes = opts.scale ? parseSizes(opts.extensions, opts.cdrs) : undefined;
      const where = describeConnection(connection);
      return withConnection(connection, async (client) => {
        await requirePrimary(client, 'seed', where);
        const started = performance.now();
        if (sizes) {
          const report = await seedScale(client, sizes);
          const ms = Math.round(performance.now() - started);
          if (opts.json) io.out(JSON.stringify({ ...report, durationMs: ms }));
          else
            io.out(
              `seeded ${report.domain} on ${where}: ${report.extensionsInserted} extensions (with Kamailio credentials), ${report.cdrsInserted} CDRs, ${report.partitionsCreated.length} partitions created, in ${ms} ms`,
            );
        } else {
          const report = await seedDemo(client);
          const total = Object.values(report).reduce((a, b) => a + b, 0);
          if (opts.json) io.out(JSON.stringify({ inserted: report }));
          else {
            io.out(total === 0 ? `demo data already present on ${where}: nothing changed` : `seeded the demo data on ${where}:`);
            for (const [table, n] of Object.entries(report)) if (n > 0) io.out(`  ${table}: ${n}`);
          }
        }
        return ExitCode.ok;
      });
    }),
  );
};

function parseSizes(extensions: string, cdrs: string): { extensions: number; cdrs: number } {
  const e = parseCount(extensions, '--extensions');
  const c = parseCount(cdrs, '--cdrs');
  if ('problem' in e || 'problem' in c) throw new ConfigInvalidError([e, c].flatMap((r) => ('problem' in r ? [r.problem] : [])));
  return { extensions: e.n, cdrs: c.n };
}

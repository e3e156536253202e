import path from 'node:path';
import { Option } from '@commander-js/extra-typings';
import { ExitCode } from '../../errors.js';
import { rejoinAsStandby } from '../../failover/rejoin.js';
import { CDR_TABLE } from '../../failover/salvage.js';
import { paint } from '../io.js';
import {
  addStandbyIdentityOptions,
  addStandbyToolOptions,
  assertNoProblems,
  optionalTopology,
  partialStandbyIdentity,
  urlFlag,
} from './failover-options.js';
import type { Register } from '../options.js';

/** `db rejoin --url <old primary> --primary-url <new primary> --data-dir <dir>`: the old primary becomes a standby. */
export const registerRejoin: Register = (program, io, run) => {
  const cmd = program
    .command('rejoin')
    .description(
      'turn the stopped old primary into a hot standby of the new one (pg_rewind, else a fresh clone), after salvaging what only it has',
    )
    .requiredOption('--url <url>', 'the old primary (checked to be down: it must not run as a primary)')
    .requiredOption('--primary-url <url>', 'the new primary, as a superuser (pg_rewind’s source, and the slot)')
    .requiredOption('--data-dir <dir>', 'the old primary’s data directory')
    .addOption(new Option('--method <method>', 'pg_rewind, a fresh clone, or auto').choices(['auto', 'pg_rewind', 'clone']).default('auto'))
    .option(
      '--no-salvage',
      'do not look for the rows the old primary wrote after the fork (CDRs copied, the rest listed); the old directory is kept aside either way',
    );
  addStandbyToolOptions(addStandbyIdentityOptions(cmd)).action((opts) =>
    run(async () => {
      const target = urlFlag(io, opts.url, '--url', 'voipdb-rejoin');
      const primary = urlFlag(io, opts.primaryUrl, '--primary-url', 'voipdb-rejoin');
      assertNoProblems([...target.problems, ...primary.problems]);
      const topology = await optionalTopology(io, opts.topology);
      // Without --node: the one free node slot on the new primary (`db promote` created it) names the node.
      const identity = partialStandbyIdentity(opts, topology, io);
      const say = (line: string): void => {
        if (!opts.json) io.out(`  ${paint(io, 'dim', '·')} ${line}`);
      };
      const result = await rejoinAsStandby({
        target: target.config!,
        primary: primary.config!,
        dataDir: path.resolve(io.cwd, opts.dataDir),
        standby: identity,
        method: opts.method,
        ...(opts.binDir ? { binDir: path.resolve(io.cwd, opts.binDir) } : {}),
        salvage: opts.salvage !== false,
        onStep: say,
      });
      const nextSteps = [
        `start PostgreSQL on this node (systemctl start <unit>, or pg_ctl -D ${result.dataDir} start): it streams from ${result.primary} through ${result.slot.name}`,
        '`db doctor` on both nodes',
        ...(result.salvage?.tables.some((t) => t.table !== CDR_TABLE)
          ? [`rows only the old primary had: re-enter what is still wanted on the new primary (${result.salvage.file})`]
          : []),
        `once the standby is healthy (and the salvaged rows dealt with), delete the old data kept in ${result.keptAside}`,
      ];
      if (opts.json) {
        io.out(JSON.stringify({ ...result, nextSteps }));
      } else {
        io.out(
          `${paint(io, 'green', 'REJOINED')} ${result.dataDir} as standby ${result.slot.name.replace(/_slot$/, '')} of ${result.primary} by ${result.method} (${result.methodReason})`,
        );
        if (result.salvage?.forkLsn) {
          const sv = result.salvage;
          io.out(
            `  salvage: fork point ${sv.forkLsn}; ${sv.transactions} transaction(s) after it on the old primary${sv.cdrs.found > 0 ? `; ${sv.cdrs.found} CDR(s) copied (${sv.cdrs.inserted} new, ${sv.cdrs.alreadyThere} already there)` : ''}`,
          );
          for (const t of sv.tables) io.out(`    ${t.database} ${t.table}: ${t.rows} row(s)`);
        }
        for (const s of nextSteps) io.out(`  next: ${s}`);
      }
      return ExitCode.ok;
    }),
  );
};

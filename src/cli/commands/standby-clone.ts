import path from 'node:path';
import { type CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { ExitCode } from '../../errors.js';
import { cloneStandby } from '../../failover/clone.js';
import { paint } from '../io.js';
import {
  addStandbyIdentityOptions,
  addStandbyToolOptions,
  assertNoProblems,
  optionalTopology,
  standbyIdentity,
  urlFlag,
} from './failover-options.js';
import type { Register } from '../options.js';

/** `db standby clone --primary-url <url> --data-dir <dir>`: a new hot standby of the primary. */
export const registerStandbyClone: Register = (program, io, run) => {
  const standby: CommandUnknownOpts =
    program.commands.find((c) => c.name() === 'standby') ?? program.command('standby').description('make and manage the hot standby');
  const cmd = standby
    .command('clone')
    .description(
      'make an empty data directory a hot standby of the primary (pg_basebackup of the same major, else an online copy over SQL)',
    )
    .requiredOption('--primary-url <url>', 'the primary, as a superuser (or a role with the backup and file-read grants)')
    .requiredOption('--data-dir <dir>', 'the new standby’s data directory: missing or empty')
    .addOption(new Option('--method <method>', 'how to copy').choices(['auto', 'pg_basebackup', 'online-copy']).default('auto'));
  addStandbyToolOptions(addStandbyIdentityOptions(cmd)).action((opts) =>
    run(async () => {
      const primary = urlFlag(io, opts.primaryUrl, '--primary-url', 'voipdb-standby-clone');
      assertNoProblems(primary.problems);
      const topology = await optionalTopology(io, opts.topology);
      const standbys = topology?.nodes.filter((n) => n.role === 'standby') ?? [];
      const identity = standbyIdentity(opts, topology, standbys.length === 1 ? standbys[0]!.name : topology ? undefined : 'node2', io);
      const dataDir = path.resolve(io.cwd, opts.dataDir);
      const say = (line: string): void => {
        if (!opts.json) io.out(`  ${paint(io, 'dim', '·')} ${line}`);
      };
      const result = await cloneStandby({
        primary: primary.config!,
        dataDir,
        standby: identity,
        method: opts.method,
        ...(opts.binDir ? { binDir: path.resolve(io.cwd, opts.binDir) } : {}),
        onStep: say,
      });
      const nextSteps = [
        `start PostgreSQL on this node with ${dataDir} as its data directory (systemctl start <unit>, or pg_ctl -D ${dataDir} start)`,
        `then \`db doctor\` here and on the primary: ${identity.applicationName} streaming through ${identity.slotName}`,
      ];
      if (opts.json) {
        io.out(JSON.stringify({ ...result, nextSteps }));
      } else {
        io.out(
          `${paint(io, 'green', 'CLONED')} ${result.primary} (PostgreSQL ${result.serverVersion}) into ${dataDir} with ${result.method}; standby ${identity.applicationName}, slot ${identity.slotName}`,
        );
        for (const s of nextSteps) io.out(`  next: ${s}`);
      }
      return ExitCode.ok;
    }),
  );
};

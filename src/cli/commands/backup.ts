import path from 'node:path';
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { ExitCode } from '../../errors.js';
import { paint } from '../io.js';
import { type Register, jsonOption } from '../options.js';

/**
 * `db backup restore --before <time> --data-dir <dir>`: pgBackRest's point-in-time restore into a
 * new directory, then a check that the copy replays to the target and promotes. Backups
 * themselves are pgBackRest's own commands, run by the systemd units `db config render
 * --service pgbackrest` writes.
 */
export const registerBackup: Register = (program, io, run) => {
  const backup: CommandUnknownOpts =
    program.commands.find((c) => c.name() === 'backup') ?? program.command('backup').description('restores from the pgBackRest repository');
  backup
    .command('restore')
    .description('restore the newest backup before a time into a new data directory, replay WAL to just before it, and check the copy')
    .requiredOption('--before <time>', 'stop just before this time, with its zone (2026-12-05T14:03:00Z)')
    .requiredOption('--data-dir <dir>', 'the new data directory: missing or empty (never the running cluster’s)')
    .option('--stanza <name>', 'pgBackRest stanza', 'voipdb')
    .option('--pgbackrest-config <file>', "pgBackRest's configuration file (default: pgBackRest's own)")
    .option('--no-check', 'do not start the restored copy to check it')
    .option('--bin-dir <dir>', "the PostgreSQL server programs for the check (default: Debian's of the copy's major)")
    .addOption(jsonOption())
    .action((opts) =>
      run(async () => {
        const { checkRestored, parseRestoreTarget, restoreBefore } = await import('../../backup/restore.js');
        const { serverOsUser } = await import('../../local/cluster.js');
        const before = parseRestoreTarget(opts.before);
        const osUser = serverOsUser();
        const dataDir = path.resolve(io.cwd, opts.dataDir);
        const restored = await restoreBefore({
          stanza: opts.stanza,
          configFile: opts.pgbackrestConfig ? path.resolve(io.cwd, opts.pgbackrestConfig) : undefined,
          before,
          dataDir,
          osUser,
        });
        const checked = opts.check
          ? await checkRestored(dataDir, osUser, opts.binDir ? path.resolve(io.cwd, opts.binDir) : undefined)
          : undefined;
        const nextSteps = [
          `start it on a spare port (pg_ctl -D ${dataDir} -o '-p 5499' start) and copy back what was lost (pg_dump -t … | psql on the primary)`,
          'it archives nothing (archive_mode = off): it is a copy to read from, not a new primary',
        ];
        if (opts.json) {
          io.out(JSON.stringify({ ...restored, checked: checked ?? null, nextSteps }));
        } else {
          io.out(`${paint(io, 'green', 'RESTORED')} ${dataDir} to just before ${restored.target} (stanza ${opts.stanza})`);
          if (checked)
            io.out(
              `  checked: ${checked.stoppedAt ?? 'replayed to the end of the archived WAL before the target'}; promoted to timeline ${checked.timeline}`,
            );
          for (const s of nextSteps) io.out(`  next: ${s}`);
        }
        return ExitCode.ok;
      }),
    );
};

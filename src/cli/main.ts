#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { commandLineError, isCommanderInfo } from './commander-error.js';
import { type CliIO, processIO } from './io.js';
import { renderError } from './render-error.js';
import { registerDown } from './commands/down.js';
import { registerLocal } from './commands/local.js';
import { registerMigrate } from './commands/migrate.js';
import { registerNew } from './commands/new.js';
import { registerStatus } from './commands/status.js';
import { registerSeed } from './commands/seed.js';
import { registerPartitions } from './commands/partitions.js';
import { registerDoctor } from './commands/doctor.js';
import { registerRoles } from './commands/roles.js';
import { registerDump } from './commands/dump.js';
import { registerCheck } from './commands/check.js';
import { registerConfigRender } from './commands/config-render.js';
import { registerStandbyClone } from './commands/standby-clone.js';
import { registerPromote } from './commands/promote.js';
import { registerRejoin } from './commands/rejoin.js';
import { registerAdopt } from './commands/adopt.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  ran, but not OK (pending migrations with --exit-code, failed checks)
  2  usage or configuration error
  3  database or migration error
  4  refused: wrong kind of node (a hot standby for writes: run it on the primary;
     a primary for promote/rejoin)
  5  refused by a safety check: the old primary still answers or the lag is over the limits (--force
     overrides), or the database holds Kamailio tables voipdb has not adopted (run db adopt)
  (db doctor uses Nagios codes instead: 0 ok, 1 warning, 2 critical, 3 unknown)

Connection: --url, else DATABASE_URL, else libpq's PG* variables (PGHOST, PGPORT, PGUSER,
PGDATABASE, PGPASSWORD, ~/.pgpass). Passwords are never printed.`;

/** Builds the program; exported for tests. Commands return exit codes; only main() exits. */
export function buildProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command('db')
    .description('voipdb: schema, migrations and operations for the VoIP platform database')
    .option('--verbose', 'show stack traces on errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError(false);
  program.hook('preAction', (root) => {
    io.verbose = Boolean(root.opts().verbose);
  });

  const run = async (fn: () => Promise<number>): Promise<void> => {
    try {
      setExitCode(await fn());
    } catch (error) {
      setExitCode(renderError(error, io));
    }
  };
  registerMigrate(program, io, run);
  registerDown(program, io, run);
  registerStatus(program, io, run);
  registerNew(program, io, run);
  registerLocal(program, io, run);
  registerSeed(program, io, run);
  registerPartitions(program, io, run);
  registerDoctor(program, io, run);
  registerRoles(program, io, run);
  registerDump(program, io, run);
  registerCheck(program, io, run);
  registerConfigRender(program, io, run);
  registerStandbyClone(program, io, run);
  registerPromote(program, io, run);
  registerRejoin(program, io, run);
  registerAdopt(program, io, run);
  shapeCommanderErrors(program, io);
  return program;
}

/**
 * commander's own refusals (unknown flag or command, missing value, bad choice) become
 * CommandLineError, rendered and exited like every other error; commander prints nothing of
 * its own for them. Help and version pass through. Applied to every command, nested ones too:
 * each parses its own flags.
 */
function shapeCommanderErrors(command: Command, io: CliIO, parents = ''): void {
  const path = parents ? `${parents} ${command.name()}` : command.name();
  command
    .exitOverride((error) => {
      throw isCommanderInfo(error) ? error : commandLineError(error, path);
    })
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()), outputError: () => undefined });
  for (const sub of command.commands) shapeCommanderErrors(sub, io, path);
}

async function main(): Promise<void> {
  const io = processIO(process);
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError && isCommanderInfo(error)) {
      exitCode = ExitCode.ok;
    } else {
      exitCode = renderError(error, io);
    }
  }
  process.exitCode = exitCode;
}

await main();

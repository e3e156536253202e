#!/usr/bin/env node
import { Command, CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { ExitCode } from '../errors.js';
import { commandLineError, isCommanderInfo } from './commander-error.js';
import { packageManifest } from '../package-manifest.js';
import { type CliIO, processIO } from './io.js';
import { defaultToLocalServer } from './local-default.js';
import type { Register } from './options.js';
import { renderError } from './render-error.js';

/**
 * Each command module, by the names it registers, in the order help lists them. A run loads only
 * the module of the command it names: every module brings its own part of voipdb (failover,
 * adoption, the schema tools…), and loading all of them cost about 40 ms of each `db migrate`,
 * `db doctor` or `db partitions` (bench figure 2). Help and unknown commands load them all.
 */
const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['migrate'], load: async () => (await import('./commands/migrate.js')).registerMigrate },
  { names: ['down'], load: async () => (await import('./commands/down.js')).registerDown },
  { names: ['status'], load: async () => (await import('./commands/status.js')).registerStatus },
  { names: ['new'], load: async () => (await import('./commands/new.js')).registerNew },
  { names: ['start', 'stop', 'up'], load: async () => (await import('./commands/local.js')).registerLocal },
  { names: ['seed'], load: async () => (await import('./commands/seed.js')).registerSeed },
  { names: ['partitions'], load: async () => (await import('./commands/partitions.js')).registerPartitions },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.js')).registerDoctor },
  { names: ['roles'], load: async () => (await import('./commands/roles.js')).registerRoles },
  { names: ['dump', 'codegen'], load: async () => (await import('./commands/dump.js')).registerDump },
  { names: ['check'], load: async () => (await import('./commands/check.js')).registerCheck },
  { names: ['config'], load: async () => (await import('./commands/config-render.js')).registerConfigRender },
  { names: ['standby'], load: async () => (await import('./commands/standby-clone.js')).registerStandbyClone },
  { names: ['promote'], load: async () => (await import('./commands/promote.js')).registerPromote },
  { names: ['rejoin'], load: async () => (await import('./commands/rejoin.js')).registerRejoin },
  { names: ['failover'], load: async () => (await import('./commands/failover.js')).registerFailover },
  { names: ['adopt'], load: async () => (await import('./commands/adopt.js')).registerAdopt },
  { names: ['backup'], load: async () => (await import('./commands/backup.js')).registerBackup },
];

/** The modules a command line needs: its command's, none for --version, or all of them (help, no or unknown command). */
function commandsFor(args: readonly string[]): (typeof COMMANDS)[number][] {
  // The root's only option (--verbose) takes no value: the first operand is the command.
  const named = args.find((arg) => !arg.startsWith('-'));
  if (named === undefined && args.some((arg) => arg === '-V' || arg === '--version')) return [];
  const one = COMMANDS.find((c) => named !== undefined && c.names.includes(named));
  return one ? [one] : [...COMMANDS];
}

const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  ran, but not OK (pending migrations with --exit-code, failed checks)
  2  usage or configuration error
  3  database or migration error
  4  refused: wrong kind of node (a hot standby for writes: run it on the primary;
     a primary for promote/rejoin)
  5  refused by a safety check: the old primary still answers or the lag is over the limits (--force
     overrides), the other node is the primary (db failover guard: run db rejoin), or the database
     holds Kamailio tables voipdb has not adopted (run db adopt)
  (db doctor uses Nagios codes instead: 0 ok, 1 warning, 2 critical, 3 unknown)

Connection: --url, else DATABASE_URL, else libpq's PG* variables (PGHOST, PGPORT, PGUSER,
PGDATABASE, PGPASSWORD, ~/.pgpass), else, with none of them, the local server of the checkout
in the current folder (.voipdb/, made by npm start). Passwords are never printed.`;

/** Builds the program for `args` (the command line after `db`). Commands return exit codes; only main() exits. */
async function buildProgram(io: CliIO, setExitCode: (code: number) => void, args: readonly string[]): Promise<Command> {
  const program = new Command('db')
    .description('voipdb: schema, migrations and operations for the VoIP platform database')
    // Which tarball a node runs: `npx db --version`.
    .version(packageManifest().version, '-V, --version', 'print the installed voipdb version')
    .option('--verbose', 'show stack traces on errors')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError(false);
  program.hook('preAction', async (root, command) => {
    io.verbose = Boolean(root.opts().verbose);
    await defaultToLocalServer(command, io);
  });

  const run = async (fn: () => Promise<number>): Promise<void> => {
    try {
      setExitCode(await fn());
    } catch (error) {
      setExitCode(renderError(error, io));
    }
  };
  for (const register of await Promise.all(commandsFor(args).map((c) => c.load()))) register(program, io, run);
  shapeCommanderErrors(program, io);
  return program;
}

/**
 * commander's own refusals (unknown flag or command, missing value, bad choice) become
 * CommandLineError, rendered and exited like every other error; commander prints nothing of
 * its own for them. Help and version pass through. Applied to every command, nested ones too:
 * each parses its own flags.
 */
function shapeCommanderErrors(command: CommandUnknownOpts, io: CliIO, parents = ''): void {
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
  try {
    const program = await buildProgram(
      io,
      (code) => {
        exitCode = code;
      },
      process.argv.slice(2),
    );
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

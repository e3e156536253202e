import { Option, type Command } from 'commander';
import type { ConnectionConfig } from '../config/connection.js';
import { type EngineSettings, resolveSettings } from '../config/settings.js';
import type { CliIO } from './io.js';

/** How main.ts runs a command's work: the exit code it returns, or the error it throws, rendered. */
export type Runner = (fn: () => Promise<number>) => Promise<void>;

/** What each command module gives main.ts: adds its command(s) to the program. */
export type Register = (program: Command, io: CliIO, run: Runner) => void;

/** The values of addConnectionOptions' flags, as commander hands them to the action. */
export interface ConnectionFlags {
  url?: string;
  migrationsDir?: string;
}

/** The values of addLimitOptions' flags (durations and counts as typed; resolveSettings checks them). */
export interface LimitFlags {
  lockWait?: string;
  lockTimeout?: string;
  lockRetries?: string;
  statementTimeout?: string;
}

/**
 * The preamble of every command that talks to a database: its flags, the environment (DATABASE_URL,
 * PG* variables) and the defaults become one connection and the engine's settings, every problem
 * reported at once. The flags of `to`/`step` are read when the command has them.
 */
function commandSettings(io: CliIO, flags: DatabaseFlags): CommandSettings {
  return resolveSettings(flags, io.env, io.cwd);
}

export interface CommandSettings {
  connection: ConnectionConfig;
  engine: EngineSettings;
}

/** The action of a command that talks to a database: commandSettings, then `fn` with both; run maps the outcome to the exit code. */
export function settingsAction<F extends DatabaseFlags>(
  io: CliIO,
  run: Runner,
  fn: (opts: F, settings: CommandSettings) => Promise<number>,
): (opts: F) => Promise<void> {
  return (opts) => run(() => fn(opts, commandSettings(io, opts)));
}

/** --to / --step of `db migrate` and `db down`: how far a run goes. */
export interface TargetFlags {
  to?: string;
  step?: string;
}

/** Every flag commandSettings reads; a command has those it declares. */
export type DatabaseFlags = ConnectionFlags & LimitFlags & TargetFlags;

/** --json of the commands that can print their result as one JSON value. */
export function jsonOption(what = 'print one JSON object'): Option {
  return new Option('--json', what);
}

/** The --url options addConnectionOptions made: the commands that connect to the voipdb database. */
const connectionUrlOptions = new WeakSet<Option>();

/** Whether `cmd` took its flags from addConnectionOptions (see local-default.ts). */
export function takesConnection(cmd: Command): boolean {
  return cmd.options.some((option) => connectionUrlOptions.has(option));
}

/** Connection flags shared by every command that talks to a database. */
export function addConnectionOptions(cmd: Command): Command {
  const url = new Option('--url <url>', "PostgreSQL URL (else DATABASE_URL, else libpq PG* variables, else this checkout's local server)");
  connectionUrlOptions.add(url);
  return cmd
    .addOption(url)
    .addOption(
      new Option('--migrations-dir <dir>', 'folder of migration files').default(undefined, './migrations, else the ones the package ships'),
    );
}

/**
 * Safety limits of a migration run. `db partitions` takes the same flags with the same defaults
 * (its DDL also runs under lock_timeout with retries), worded for what it locks.
 */
export function addLimitOptions(cmd: Command, wording: { lock: string; statements: string } = MIGRATION_WORDING): Command {
  cmd
    .option('--lock-wait <duration>', `wait this long for ${wording.lock} (default 60s)`)
    .option('--lock-timeout <duration>', `lock_timeout for ${wording.statements} (default 5s)`)
    .option('--lock-retries <n>', 'retries after a lock_timeout, with doubling backoff (default 3)');
  if (wording === MIGRATION_WORDING) cmd.option('--statement-timeout <duration>', 'statement_timeout for each migration (default 0 = off)');
  return cmd;
}

const MIGRATION_WORDING = { lock: "another run's migration lock", statements: "each migration's statements" };
export const PARTITION_WORDING = { lock: "another maintainer's partition lock", statements: 'the partition DDL' };

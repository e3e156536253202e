import { type Command, type CommandUnknownOpts, Option, type OptionValues } from '@commander-js/extra-typings';
import type { ConnectionConfig } from '../config/connection.js';
import { type EngineSettings, type RawOptions, resolveSettings } from '../config/settings.js';
import type { CliIO } from './io.js';

/** How main.ts runs a command's work: the exit code it returns, or the error it throws, rendered. */
export type Runner = (fn: () => Promise<number>) => Promise<void>;

/** What each command module gives main.ts: adds its command(s) to the program. */
export type Register = (program: Command, io: CliIO, run: Runner) => void;

export interface CommandSettings {
  connection: ConnectionConfig;
  engine: EngineSettings;
}

/**
 * The action of a command that talks to a database. Its flags, the environment (DATABASE_URL, PG*
 * variables) and the defaults become one connection and the engine's settings, every problem
 * reported at once (the flags of `to`/`step` are read when the command has them); then `fn` runs
 * with both, and run maps the outcome to the exit code.
 */
export function settingsAction<Opts extends RawOptions>(
  io: CliIO,
  run: Runner,
  fn: (opts: Opts, settings: CommandSettings) => Promise<number>,
): (opts: Opts) => Promise<void> {
  return (opts) => run(() => fn(opts, resolveSettings(opts, io.env, io.cwd)));
}

/** --json of the commands that can print their result as one JSON value. */
export function jsonOption(what = 'print one JSON object') {
  return new Option('--json', what);
}

/** The --url options addConnectionOptions made: the commands that connect to the voipdb database. */
const connectionUrlOptions = new WeakSet<object>();

/** Whether `cmd` took its flags from addConnectionOptions (see local-default.ts). */
export function takesConnection(cmd: CommandUnknownOpts): boolean {
  return cmd.options.some((option) => connectionUrlOptions.has(option));
}

/*
 * The flag helpers here and in failover-options.ts take a command as its chain typed it and hand
 * it back with their flags added to its type: an action's options are exactly what its command
 * declares. Each adds at most four flags, counting those of a helper it calls: every flag nests
 * the options' type of a generic command once more and the compiler's work grows steeply with
 * the depth (seven took minutes). A command that needs more calls two helpers in turn.
 */

/** Connection flags shared by every command that talks to a database. */
export function addConnectionOptions<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(
  cmd: Command<Args, Opts, Parent>,
) {
  const url = new Option('--url <url>', "PostgreSQL URL (else DATABASE_URL, else libpq PG* variables, else this checkout's local server)");
  connectionUrlOptions.add(url);
  return cmd
    .addOption(url)
    .addOption(
      new Option('--migrations-dir <dir>', 'folder of migration files').default(undefined, './migrations, else the ones the package ships'),
    );
}

/**
 * How long a run waits for locks, and how often it retries (durations and counts as typed;
 * resolveSettings checks them). `db partitions` takes the same flags with the same defaults (its
 * DDL also runs under lock_timeout with retries), worded for what it locks.
 */
export function addLockOptions<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(
  cmd: Command<Args, Opts, Parent>,
  wording: { lock: string; statements: string },
) {
  return cmd
    .option('--lock-wait <duration>', `wait this long for ${wording.lock} (default 60s)`)
    .option('--lock-timeout <duration>', `lock_timeout for ${wording.statements} (default 5s)`)
    .option('--lock-retries <n>', 'retries after a lock_timeout, with doubling backoff (default 3)');
}

/** Safety limits of a migration run: the lock flags, and a statement_timeout. */
export function addMigrationLimitOptions<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(
  cmd: Command<Args, Opts, Parent>,
) {
  return addLockOptions(cmd, MIGRATION_WORDING).option(
    '--statement-timeout <duration>',
    'statement_timeout for each migration (default 0 = off)',
  );
}

const MIGRATION_WORDING = { lock: "another run's migration lock", statements: "each migration's statements" };
export const PARTITION_WORDING = { lock: "another maintainer's partition lock", statements: 'the partition DDL' };

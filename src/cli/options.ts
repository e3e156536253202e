import { Option, type Command } from 'commander';

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

/** The values of the flags addLimitOptions added, as resolveSettings takes them (absent ones undefined). */
export function limitFlags(opts: Record<string, string | boolean | undefined>): {
  lockWait: string | undefined;
  lockTimeout: string | undefined;
  lockRetries: string | undefined;
  statementTimeout: string | undefined;
} {
  return {
    lockWait: opts.lockWait as string | undefined,
    lockTimeout: opts.lockTimeout as string | undefined,
    lockRetries: opts.lockRetries as string | undefined,
    statementTimeout: opts.statementTimeout as string | undefined,
  };
}

const MIGRATION_WORDING = { lock: "another run's migration lock", statements: "each migration's statements" };
export const PARTITION_WORDING = { lock: "another maintainer's partition lock", statements: 'the partition DDL' };

import { Option, type Command } from 'commander';

/** Connection flags shared by every command that talks to a database. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'PostgreSQL URL (else DATABASE_URL, else libpq PG* variables)'))
    .addOption(
      new Option('--migrations-dir <dir>', 'folder of migration files').default(undefined, './migrations, else the ones the package ships'),
    );
}

/** Safety limits of a migration run. */
export function addLimitOptions(cmd: Command): Command {
  return cmd
    .option('--lock-wait <duration>', "wait this long for another run's migration lock (default 60s)")
    .option('--lock-timeout <duration>', "lock_timeout for each migration's statements (default 5s)")
    .option('--lock-retries <n>', 'retries after a lock_timeout, with doubling backoff (default 3)')
    .option('--statement-timeout <duration>', 'statement_timeout for each migration (default 0 = off)');
}

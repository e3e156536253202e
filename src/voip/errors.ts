import { ExitCode, failure } from '../errors.js';

/** CDR partition maintenance (`db partitions`, and the step after `db migrate`). */

/** `db partitions` (or the post-step of `db migrate`) found another maintainer's partition lock held for longer than --lock-wait. */
export class PartitionLockBusyError extends failure('PARTITION_LOCK_BUSY', ExitCode.database) {
  constructor(waitedMs: number, holder: string) {
    super(
      `another session holds the CDR partition maintenance lock (waited ${Math.round(waitedMs / 1000)} s): ${holder}`,
      'wait for that maintenance to finish, or raise --lock-wait; if the holder is stuck, pg_terminate_backend(pid) releases the lock',
    );
  }
}

/**
 * The partition maintenance functions refused their arguments (SQLSTATE 22023): an `at` far from
 * the server's clock, an `ahead` beyond the documented bound, a negative `retain`.
 */
export class CdrPartitionArgumentError extends failure('CDR_PARTITION_ARGUMENT', ExitCode.usage) {
  constructor(
    message: string,
    readonly sqlState: string,
    hint: string | undefined,
    cause: unknown,
  ) {
    super(
      `CDR partition maintenance refused: ${message} (SQLSTATE ${sqlState})`,
      hint ?? 'check the arguments and the server clock (SELECT now()), then run again',
      { cause },
    );
  }
}

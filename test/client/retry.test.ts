import { describe, expect, test } from 'vitest';
import {
  CdrPartitionMissingError,
  RecoveryConflictError,
  StandbyWriteError,
  UsageError,
  isRetryableError,
  toClientError,
  withRetry,
} from '../../src/index.js';

// Errors shaped as node-postgres delivers them (pg-protocol DatabaseError fields), so the
// mapping is checked without a server; the standby suite checks the same against real ones.
const serverError = (code: string, message: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { code, severity: 'ERROR', ...extra });

const conflict = (): Error =>
  serverError('40001', 'canceling statement due to conflict with recovery', {
    detail: 'User query might have needed to see row versions that must be removed.',
  });

describe('error mapping', () => {
  test('25006 and read-write on a standby are StandbyWriteError', () => {
    expect(toClientError(serverError('25006', 'cannot execute INSERT in a read-only transaction'))).toBeInstanceOf(StandbyWriteError);
    expect(toClientError(serverError('0A000', 'cannot set transaction read-write mode during recovery'))).toBeInstanceOf(StandbyWriteError);
    expect(toClientError(serverError('0A000', 'cannot use LIMIT with FOR UPDATE'))).not.toBeInstanceOf(StandbyWriteError);
  });

  test('recovery conflicts are RecoveryConflictError; a plain serialization failure is not', () => {
    expect(toClientError(conflict())).toBeInstanceOf(RecoveryConflictError);
    expect(
      toClientError(serverError('40001', 'terminating connection due to conflict with recovery', { severity: 'FATAL' })),
    ).toBeInstanceOf(RecoveryConflictError);
    expect(toClientError(serverError('40P01', 'canceling statement due to conflict with recovery'))).toBeInstanceOf(RecoveryConflictError);
    const serialization = serverError('40001', 'could not serialize access due to concurrent update');
    expect(toClientError(serialization)).toBe(serialization);
  });

  test('a lost connection is a recovery conflict only when the server said so before closing it', () => {
    const gone = new Error('Client has encountered a connection error and is not queryable');
    const mapped = toClientError(gone, serverError('40001', 'terminating connection due to conflict with recovery', { severity: 'FATAL' }));
    expect(mapped).toBeInstanceOf(RecoveryConflictError);
    expect(((mapped as Error).cause as Error).message).toMatch(/terminating connection/);
    expect(toClientError(gone, serverError('57P01', 'terminating connection due to administrator command'))).toBe(gone);
    expect(toClientError(gone)).toBe(gone);
  });

  test('a missing CDR partition is CdrPartitionMissingError; an ordinary CHECK violation is not', () => {
    expect(
      toClientError(serverError('23514', 'no partition of relation "cdr" found for row', { schema: 'voip', table: 'cdr' })),
    ).toBeInstanceOf(CdrPartitionMissingError);
    const check = serverError('23514', 'new row for relation "cdr_202506" violates check constraint "cdr_leg_check"', {
      constraint: 'cdr_leg_check',
    });
    expect(toClientError(check)).toBe(check);
  });
});

describe('withRetry', () => {
  test('retries a RecoveryConflictError until it succeeds, telling onRetry each time', async () => {
    const retried: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new RecoveryConflictError(conflict());
        return 'answer';
      },
      { attempts: 3, backoffMs: 0, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    expect(result).toBe('answer');
    expect(calls).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  test('gives up after `attempts` and throws the last error', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw new RecoveryConflictError(conflict());
      },
      { attempts: 2, backoffMs: 0 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecoveryConflictError);
    expect(calls).toBe(2);
  });

  test('never retries other errors: standby writes, constraint errors, plain failures', async () => {
    for (const failure of [
      new StandbyWriteError(serverError('25006', 'cannot execute UPDATE in a read-only transaction')),
      new CdrPartitionMissingError(undefined, undefined),
      serverError('40001', 'could not serialize access due to concurrent update'),
      new Error('boom'),
    ]) {
      let calls = 0;
      const error = await withRetry(
        async () => {
          calls++;
          throw failure;
        },
        { attempts: 5, backoffMs: 0 },
      ).catch((e: unknown) => e);
      expect(error).toBe(failure);
      expect(calls).toBe(1);
    }
  });

  test("raw recovery-conflict errors from a service's own pg client count as retryable", () => {
    expect(isRetryableError(conflict())).toBe(true);
    expect(isRetryableError(new RecoveryConflictError(conflict()))).toBe(true);
    expect(isRetryableError(new StandbyWriteError(undefined))).toBe(false);
  });

  test('rejects nonsense options before running anything', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
        },
        { attempts: 0 },
      ),
    ).rejects.toBeInstanceOf(UsageError);
    await expect(
      withRetry(
        async () => {
          calls++;
        },
        { backoffMs: -1 },
      ),
    ).rejects.toBeInstanceOf(UsageError);
    expect(calls).toBe(0);
  });
});

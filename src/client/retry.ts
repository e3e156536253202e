import { UsageError } from '../errors.js';
import { isRecoveryConflictError } from './error-mapping.js';

export interface RetryOptions {
  /** How many times `fn` runs at most, the first run included (default 3). */
  attempts?: number;
  /** Wait before the first retry; doubled before each further one (default 100 ms). */
  backoffMs?: number;
  /** Upper bound of one wait (default 2 s). */
  maxBackoffMs?: number;
  /** Told before each retry (for logging); `attempt` is the run that just failed, from 1. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * True for errors worth running the same work again for: those that say so (`retryable`, e.g.
 * RecoveryConflictError) and raw recovery-conflict errors from a pg client of the service's own.
 * A write on a standby, a constraint violation or a missing partition fail the same way again.
 */
export function isRetryableError(error: unknown): boolean {
  if ((error as { retryable?: unknown } | undefined)?.retryable === true) return true;
  return isRecoveryConflictError(error);
}

/**
 * Runs `fn`, and again after a growing pause while it fails with a retryable error. Any other
 * error, or the last attempt's error, is thrown as it is. `fn` must be safe to repeat (a read,
 * or a whole transaction: a recovery conflict rolls back everything it did).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 2_000;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new UsageError(
      `withRetry: attempts must be a whole number of at least 1, got ${attempts}`,
      'pass { attempts: 3 } or leave it out',
    );
  }
  if (!(backoffMs >= 0) || !(maxBackoffMs >= 0)) {
    throw new UsageError('withRetry: backoffMs and maxBackoffMs must be 0 or more', 'pass { backoffMs: 100 } or leave it out');
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !isRetryableError(error)) throw error;
      options.onRetry?.(error, attempt);
      const wait = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

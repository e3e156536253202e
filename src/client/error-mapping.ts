import { CdrPartitionMissingError, RecoveryConflictError, StandbyWriteError, SubscriberNotOwnedError } from './errors.js';
import { VoipdbError } from '../errors.js';

/**
 * Turns the server errors a service can act on into the typed errors of ./errors.ts; every
 * other error is returned unchanged (the service decides). Decided on SQLSTATE first; the
 * message is only consulted where one SQLSTATE covers several causes.
 */
export function toClientError(error: unknown, connectionLostBecauseOf?: unknown): unknown {
  if (error instanceof VoipdbError) return error;
  if (isStandbyWriteError(error)) return new StandbyWriteError(error);
  if (isRecoveryConflictError(error)) return new RecoveryConflictError(error);
  // The session was killed while idle (between two statements of a transaction): the server's
  // reason arrived as the client's 'error' event, and this query only sees "not queryable".
  if (connectionLostBecauseOf !== undefined && isRecoveryConflictError(connectionLostBecauseOf) && isConnectionGoneError(error)) {
    return new RecoveryConflictError(connectionLostBecauseOf);
  }
  if (isMissingPartitionError(error)) return new CdrPartitionMissingError(undefined, error);
  if (isSubscriberNotOwnedError(error)) return new SubscriberNotOwnedError(String((error as ServerErrorFields).message), error);
  return error;
}

/** The credential triggers refusing to take over a subscriber row provisioning does not own (migration 0009). */
export function isSubscriberNotOwnedError(error: unknown): boolean {
  const e = error as (ServerErrorFields & { constraint?: unknown }) | undefined;
  return e?.code === '42501' && e.constraint === 'subscriber_owners';
}

interface ServerErrorFields {
  code?: unknown;
  message?: unknown;
}

/**
 * SQLSTATE 25006 (read_only_sql_transaction): INSERT/UPDATE/DELETE, DDL, nextval(), SELECT FOR
 * UPDATE on a hot standby; also 0A000 "cannot set transaction read-write mode during recovery"
 * (a READ WRITE transaction asked of a standby). Note: a READ ONLY transaction on a primary gives
 * 25006 as well; the service only gets there by asking for read-only mode itself.
 */
export function isStandbyWriteError(error: unknown): boolean {
  const e = error as ServerErrorFields | undefined;
  if (e?.code === '25006') return true;
  return e?.code === '0A000' && typeof e.message === 'string' && /during recovery/.test(e.message);
}

/**
 * A query cancelled or a session terminated by WAL replay on a standby: SQLSTATE 40001 with
 * "conflict with recovery" (locks, snapshots, buffer pins, tablespaces), or 40P01 for the
 * buffer-pin deadlock variant. A plain serialization failure (40001 on a primary) is not one.
 */
export function isRecoveryConflictError(error: unknown): boolean {
  const e = error as ServerErrorFields | undefined;
  return (e?.code === '40001' || e?.code === '40P01') && typeof e.message === 'string' && /conflict with recovery/.test(e.message);
}

/** pg's own errors for a session that is gone (no SQLSTATE: raised by the driver, not the server). */
export function isConnectionGoneError(error: unknown): boolean {
  const e = error as ServerErrorFields | undefined;
  return (
    e?.code === undefined &&
    typeof e?.message === 'string' &&
    /^(Connection terminated|Client has encountered a connection error and is not queryable)/.test(e.message)
  );
}

/**
 * The server's "no partition of relation "cdr" found for row" (SQLSTATE 23514, which is also the
 * code of an ordinary CHECK violation; that one always names its constraint, this one never does).
 */
export function isMissingPartitionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown; schema?: unknown; table?: unknown };
  if (e?.code !== '23514' || e.constraint !== undefined) return false;
  // The server names the partitioned table in the error fields (locale-independent); the
  // message is the fallback for drivers that drop them.
  return (
    (e.schema === 'voip' && e.table === 'cdr') ||
    (typeof e.message === 'string' && /^no partition of relation "cdr" found for row/.test(e.message))
  );
}

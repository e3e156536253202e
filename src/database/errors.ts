import { ExitCode, failure } from '../errors.js';

/** Reaching a server: how a connection failed (exit 3), and a node that is a standby where a primary is needed (exit 4). */

/** The connection could not be made; the subclasses name which way (all are exit 3). */
export class ConnectionFailedError extends failure('CONNECTION_FAILED', ExitCode.database) {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, hint, { cause });
  }

  /** The base of one way a connection fails: this class, with that way's own code. */
  static way(code: string): typeof ConnectionFailedError {
    return class extends ConnectionFailedError {
      override readonly code: string = code;
    };
  }
}

export class HostNotFoundError extends ConnectionFailedError.way('HOST_NOT_FOUND') {}

export class ConnectionRefusedError extends ConnectionFailedError.way('CONNECTION_REFUSED') {}

export class ConnectionTimeoutError extends ConnectionFailedError.way('CONNECTION_TIMEOUT') {}

export class AuthFailedError extends ConnectionFailedError.way('AUTH_FAILED') {}

export class DatabaseNotFoundError extends ConnectionFailedError.way('DATABASE_NOT_FOUND') {}

/** TLS could not be set up as sslmode asked: the server has none, the CA or the host name is wrong. */
export class TlsFailedError extends ConnectionFailedError.way('TLS_FAILED') {}

const CONNECTION_FAILURES = {
  HOST_NOT_FOUND: HostNotFoundError,
  CONNECTION_REFUSED: ConnectionRefusedError,
  CONNECTION_TIMEOUT: ConnectionTimeoutError,
  AUTH_FAILED: AuthFailedError,
  DATABASE_NOT_FOUND: DatabaseNotFoundError,
  TLS_FAILED: TlsFailedError,
  CONNECTION_FAILED: ConnectionFailedError,
} as const;

/** The ConnectionFailedError subclass whose code is `code`. */
export function connectionFailure(
  code: keyof typeof CONNECTION_FAILURES,
  message: string,
  hint: string,
  cause?: unknown,
): ConnectionFailedError {
  return new CONNECTION_FAILURES[code](message, hint, cause);
}

/**
 * Several hosts were given (or one, with target_session_attrs) and none was reachable and fit:
 * each host is listed with why it was passed over, as libpq does. No password is shown.
 */
export class NoSuitableHostError extends failure('NO_SUITABLE_HOST', ExitCode.database) {
  constructor(
    readonly wanted: string,
    readonly failures: { host: string; reason: string }[],
  ) {
    super(
      `no host ${wanted}: ${failures.map((f) => `${f.host} ${f.reason}`).join('; ')}`,
      'check that the servers run and which one is the primary (`db doctor` on each node); the hosts are tried in the order given',
    );
  }
}

export class NodeIsStandbyError extends failure('NODE_IS_STANDBY', ExitCode.standby) {
  constructor(action: string, where: string) {
    super(
      `refusing to ${action}: ${where} is a hot standby (pg_is_in_recovery() is true); nothing was written`,
      'run it against the primary (node 1); streaming replication brings the change to this node',
    );
  }
}

import { ExitCode, VoipdbError } from '../errors.js';

/** The local server of a checkout (.voipdb/, `npm start`, `db start`). */

export class LocalServerError extends VoipdbError {
  readonly code = 'LOCAL_SERVER';
  readonly exitCode = ExitCode.database;
}

/**
 * .voipdb/ holds a cluster that has run (it may hold data) but lacks what makes it usable (its
 * password file or settings). It is not remade on its own: that would lose the data.
 */
export class LocalServerIncompleteError extends VoipdbError {
  readonly code = 'LOCAL_SERVER_INCOMPLETE';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly localDir: string,
    readonly missing: string,
  ) {
    super(
      `the local server in ${localDir} has data but its ${missing} is missing`,
      `restore ${missing}, or keep what you need (pg_dump) and remove ${localDir} to make a new local server with \`npm start\``,
    );
  }
}

/** Another `db start` / `db up` of this checkout is making the local server right now. */
export class LocalServerBusyError extends VoipdbError {
  readonly code = 'LOCAL_SERVER_BUSY';
  readonly exitCode = ExitCode.usage;
  constructor(
    readonly localDir: string,
    readonly pid: number,
  ) {
    super(`another command (pid ${pid}) is making the local server in ${localDir}`, 'wait for it to finish, then run the command again');
  }
}

/** SIGINT/SIGTERM/SIGHUP arrived while the first start made the local server; what it had made was removed. */
export class LocalServerInterruptedError extends VoipdbError {
  readonly code = 'LOCAL_SERVER_INTERRUPTED';
  readonly exitCode = ExitCode.notOk;
  constructor(
    readonly signal: NodeJS.Signals,
    readonly localDir: string,
  ) {
    super(
      `interrupted (${signal}) while making the local server; the half-made ${localDir} was removed`,
      'run `npm start` again to make it',
    );
  }
}

import { ExitCode, failure } from '../errors.js';

/** The local server of a checkout (.voipdb/, `npm start`, `db start`). */

export class LocalServerError extends failure('LOCAL_SERVER', ExitCode.database) {}

/**
 * .voipdb/ holds a cluster that has run (it may hold data) but lacks what makes it usable (its
 * password file or settings). It is not remade on its own: that would lose the data.
 */
export class LocalServerIncompleteError extends failure('LOCAL_SERVER_INCOMPLETE', ExitCode.usage) {
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
export class LocalServerBusyError extends failure('LOCAL_SERVER_BUSY', ExitCode.usage) {
  constructor(
    readonly localDir: string,
    readonly pid: number,
  ) {
    super(`another command (pid ${pid}) is making the local server in ${localDir}`, 'wait for it to finish, then run the command again');
  }
}

/** SIGINT/SIGTERM/SIGHUP arrived while the first start made the local server; what it had made was removed. */
export class LocalServerInterruptedError extends failure('LOCAL_SERVER_INTERRUPTED', ExitCode.notOk) {
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

/** clone/rejoin: the data directory is not what the command needs (no cluster, another cluster, another major). */
export class DataDirInvalidError extends failure('DATA_DIR_INVALID', ExitCode.usage) {}

/** clone: the target data directory holds files; a clone never writes over anything. */
export class DataDirNotEmptyError extends failure('DATA_DIR_NOT_EMPTY', ExitCode.usage) {}

/** `db rejoin`: the old data directory could not be kept aside before pg_rewind (no room, copy failed); nothing was changed. */
export class KeepAsideFailedError extends failure('KEEP_ASIDE_FAILED', ExitCode.database) {}

/** clone/rejoin: a server is running on the data directory the command would write. */
export class ServerRunningError extends failure('SERVER_RUNNING', ExitCode.standby) {}

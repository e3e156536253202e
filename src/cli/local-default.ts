import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { describeConnection, hasConnectionSettings } from '../config/connection.js';
import type { CliIO } from './io.js';
import { takesConnection } from './options.js';

/**
 * In a checkout whose local server was made (`npm start` / `db up` / `db start`, .voipdb/ in the
 * current folder), a command that connects to the database and was given no connection settings at
 * all (no --url, no DATABASE_URL, no PG* variable) uses that server, with its password file, and
 * says so on stderr. Anywhere else, nothing changes: the command fails as before, naming the
 * settings it needs.
 *
 * The checkout is the current folder, as for `db start`, `db up` and `db stop`, which make and
 * find .voipdb/ there: the server used is the one `npm start` printed. Not the package's own
 * folder: on a node voipdb is installed under a service's node_modules, where no .voipdb/ exists,
 * and a checkout's dist/ run from elsewhere must not reach into that checkout's server. Explicit
 * settings always win, so a node's DATABASE_URL or PG* variables are never overridden.
 */
export async function defaultToLocalServer(command: CommandUnknownOpts, io: CliIO): Promise<void> {
  if (!takesConnection(command) || command.getOptionValue('url') !== undefined || hasConnectionSettings(io.env)) return;
  // Loaded only here: a command given its settings (every run on a node) never loads it.
  const { localServerConnection } = await import('../local/server.js');
  const local = await localServerConnection(io.cwd);
  if (!local) return;
  const shown = describeConnection(local.config);
  // As if given with --url: the password file rides along as libpq's passfile parameter.
  command.setOptionValueWithSource(
    'url',
    `${shown}${shown.includes('?') ? '&' : '?'}passfile=${encodeURIComponent(local.pgpassFile)}`,
    'default',
  );
  io.err(`using this checkout's local server: ${shown} (password from .voipdb/pgpass; no --url, DATABASE_URL or PG* variable is set)`);
}

import pg from 'pg';
import { type ConnectionConfig, describeConnection, toPgOptions } from '../config/connection.js';
import { type ConnectionFailedError, connectionFailure } from '../errors.js';

/**
 * Opens one dedicated connection (never a pool: the migration lock and each migration's
 * transaction must stay on the same session) and turns every way a connection can fail into
 * a ConnectionFailedError with a hint. The message names the server without its password.
 */
export async function connect(config: ConnectionConfig): Promise<pg.Client> {
  const client = new pg.Client(toPgOptions(config));
  // An idle client whose server goes away emits 'error'; without a listener Node would crash.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectionError(error, config);
  }
  return client;
}

export function connectionError(error: unknown, config: ConnectionConfig): ConnectionFailedError {
  const where = describeConnection(config);
  const e = error as { code?: string; message?: string };
  const message = String(e.message ?? error);
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return connectionFailure(
        'HOST_NOT_FOUND',
        `cannot resolve host "${config.host}" (${where})`,
        'check the host name in --url / DATABASE_URL / PGHOST',
        error,
      );
    case 'ECONNREFUSED':
      return connectionFailure(
        'CONNECTION_REFUSED',
        `connection refused by ${config.host}:${config.port} (${where})`,
        'is PostgreSQL running and listening on that address and port? (`npx db start` runs a local one)',
        error,
      );
    case 'ETIMEDOUT':
      return connectionFailure(
        'CONNECTION_TIMEOUT',
        `connection to ${config.host}:${config.port} timed out (${where})`,
        'check the address, the firewall and listen_addresses',
        error,
      );
    case '28P01':
    case '28000':
      return connectionFailure(
        'AUTH_FAILED',
        `authentication failed for user "${config.user}" (${where})`,
        'check the user and password (URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf',
        error,
      );
    case '3D000':
      return connectionFailure(
        'DATABASE_NOT_FOUND',
        `database "${config.database}" does not exist (${where})`,
        `create it first: createdb -h ${config.host} -p ${config.port} ${config.database}`,
        error,
      );
    default:
      break;
  }
  if (/timeout/i.test(message)) {
    return connectionFailure(
      'CONNECTION_TIMEOUT',
      `connection to ${config.host}:${config.port} timed out (${where})`,
      'check the address, the firewall and listen_addresses',
      error,
    );
  }
  if (/password must be a string|SASL/i.test(message)) {
    return connectionFailure(
      'AUTH_FAILED',
      `the server asks a password for user "${config.user}" and none was given (${where})`,
      'put the password in the URL, PGPASSWORD, or a password file (~/.pgpass or PGPASSFILE)',
      error,
    );
  }
  return connectionFailure(
    'CONNECTION_FAILED',
    `cannot connect to ${where}: ${redactMessage(message, config)}`,
    'check the connection settings',
    error,
  );
}

/** Driver messages do not contain passwords, but be certain: remove it if it appears. */
function redactMessage(message: string, config: ConnectionConfig): string {
  return config.password ? message.split(config.password).join('***') : message;
}

/** Runs `fn` with a connection and always closes it. */
export async function withConnection<T>(config: ConnectionConfig, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(config);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

import pg from 'pg';
import { type ConnectionConfig, describeConnection, describeHost, type HostEntry } from '../config/connection.js';
import { type ConnectionFailedError, connectionFailure } from './errors.js';
import { isTlsError, redact, selectSession } from './host-selection.js';
import { pgOptionsFor } from './session-options.js';

/**
 * Opens one dedicated connection (never a pool: the migration lock and each migration's
 * transaction must stay on the same session) the way libpq would: each host in turn, each with
 * the encryption attempts its sslmode allows, until one fits target_session_attrs. Every way a
 * connection can fail becomes a typed error with a hint; messages name servers without passwords.
 */
export async function connect(config: ConnectionConfig): Promise<pg.Client> {
  const { client } = await selectSession(config, {
    open: async (attempt) => {
      const client = new pg.Client(pgOptionsFor(config, attempt));
      // An idle client whose server goes away emits 'error'; without a listener Node would crash.
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    },
    discard: (client) => client.end().catch(() => undefined),
    toError: (error, entry) => connectionError(error, config, entry),
  });
  return client;
}

export function connectionError(error: unknown, config: ConnectionConfig, entry: HostEntry = config): ConnectionFailedError {
  const where = describeConnection(config);
  const host = describeHost(entry);
  const e = error as { code?: string; message?: string };
  const message = String(e.message ?? error);
  // An unanswered TCP handshake (ETIMEDOUT) and node-postgres' own connect timeout read the same.
  const timedOut = (): ConnectionFailedError =>
    connectionFailure(
      'CONNECTION_TIMEOUT',
      `connection to ${host} timed out (${where})`,
      'check the address, the firewall and listen_addresses',
      error,
    );
  switch (e.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return connectionFailure(
        'HOST_NOT_FOUND',
        `cannot resolve host "${entry.host}" (${where})`,
        'check the host name in --url / DATABASE_URL / PGHOST',
        error,
      );
    case 'ECONNREFUSED':
      return connectionFailure(
        'CONNECTION_REFUSED',
        `connection refused by ${host} (${where})`,
        'is PostgreSQL running and listening on that address and port? (`npx db start` runs a local one)',
        error,
      );
    case 'ETIMEDOUT':
      return timedOut();
    case '28P01':
    case '28000':
      return connectionFailure(
        'AUTH_FAILED',
        `authentication failed for user "${config.user}" on ${host} (${where}): ${redact(message, config.password)}`,
        'check the user and password (URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf',
        error,
      );
    case '3D000':
      return connectionFailure(
        'DATABASE_NOT_FOUND',
        `database "${config.database}" does not exist (${where})`,
        `create it first: createdb -h ${entry.host} -p ${entry.port} ${config.database}`,
        error,
      );
    default:
      break;
  }
  if (isTlsError(error)) return tlsError(error, config, entry);
  if (/timeout/i.test(message)) return timedOut();
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
    `cannot connect to ${where}: ${redact(message, config.password)}`,
    'check the connection settings',
    error,
  );
}

/** A TLS failure, saying which check failed: the server has no TLS, an untrusted CA, or another name. */
function tlsError(error: unknown, config: ConnectionConfig, entry: HostEntry): ConnectionFailedError {
  const e = error as { code?: string; message?: string };
  const message = String(e.message ?? error).split('\n')[0]!;
  const host = describeHost(entry);
  const mode = config.sslmode ?? 'prefer';
  const ca = config.tls?.rootCert;
  if (/does not support SSL/i.test(message)) {
    return connectionFailure(
      'TLS_FAILED',
      `${host} does not accept TLS connections, and sslmode=${mode} requires TLS`,
      'turn on ssl in the server (ssl = on with ssl_cert_file and ssl_key_file), or use sslmode=prefer',
      error,
    );
  }
  if (e.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return connectionFailure(
      'TLS_FAILED',
      `the certificate of ${host} is not issued for "${entry.host}" (sslmode=verify-full): ${message}`,
      "connect by a name or address the certificate lists (its subjectAltName), or reissue the server's certificate",
      error,
    );
  }
  if (/^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_)/.test(e.code ?? '')) {
    return connectionFailure(
      'TLS_FAILED',
      `the certificate of ${host} is not trusted (sslmode=${mode}${ca ? `, sslrootcert=${ca}` : ''}): ${message} (${e.code})`,
      "give the CA that signed the server's certificate in sslrootcert (default ~/.postgresql/root.crt)",
      error,
    );
  }
  return connectionFailure(
    'TLS_FAILED',
    `TLS with ${host} failed (sslmode=${mode}): ${message}`,
    'check the TLS settings of the server and of the connection (sslmode, sslrootcert, sslcert, sslkey)',
    error,
  );
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

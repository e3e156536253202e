import { createReadStream, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type pg from 'pg';
import pgpassHelper from 'pgpass/lib/helper.js';
import { type ConnectionConfig, DEFAULT_CONNECT_TIMEOUT_MS, type HostEntry, hostsOf, type SslMode } from '../config/connection.js';
import { ConfigInvalidError } from '../config/errors.js';
import { PreferTlsSocket } from './prefer-tls-socket.js';

/** One way of reaching one host: with TLS or without. */
export interface Attempt {
  entry: HostEntry;
  tls: boolean;
}

/**
 * libpq's order of encryption attempts for one host (sslmode): prefer tries TLS first and falls
 * back to plain, allow tries plain first and falls back to TLS, require and the verify modes
 * insist on TLS, disable never uses it. Unix sockets never use TLS (libpq does not either).
 */
export function attemptsForHost(entry: HostEntry, sslmode: SslMode | undefined): Attempt[] {
  if (entry.host.startsWith('/') && entry.hostaddr === undefined) return [{ entry, tls: false }];
  switch (sslmode ?? 'prefer') {
    case 'disable':
      return [{ entry, tls: false }];
    case 'allow':
      return [
        { entry, tls: false },
        { entry, tls: true },
      ];
    case 'prefer':
      return [
        { entry, tls: true },
        { entry, tls: false },
      ];
    default:
      return [{ entry, tls: true }];
  }
}

/** The hosts in the order they are tried: as listed, or shuffled with load_balance_hosts=random. */
export function hostOrder(config: ConnectionConfig): HostEntry[] {
  const hosts = [...hostsOf(config)];
  if (config.loadBalanceHosts) {
    for (let i = hosts.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [hosts[i], hosts[j]] = [hosts[j]!, hosts[i]!];
    }
  }
  return hosts;
}

/** Options for one `pg.Client` (or a `pg.Pool`'s clients) making one attempt. */
export function pgOptionsFor(config: ConnectionConfig, attempt: Attempt): pg.ClientConfig {
  const { entry } = attempt;
  return {
    host: entry.hostaddr ?? entry.host,
    port: entry.port,
    user: config.user,
    database: config.database,
    password: config.password ?? passwordFromPassfile(config, entry),
    application_name: config.applicationName,
    ...encryption(config, attempt),
    ...(attempt.tls && config.channelBinding !== 'disable' ? { enableChannelBinding: true } : {}),
    ...(config.options !== undefined ? { options: config.options } : {}),
    connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: config.keepalives ?? true,
    ...(config.keepalivesIdleSeconds !== undefined ? { keepAliveInitialDelayMillis: config.keepalivesIdleSeconds * 1000 } : {}),
  } as pg.ClientConfig;
}

/**
 * How pg encrypts one attempt. sslmode=prefer's TLS attempt negotiates in PreferTlsSocket, which
 * goes on in plain text over the same socket when the server has no TLS (as libpq does); the
 * other TLS attempts are pg's own, where a server without TLS is an error.
 */
function encryption(config: ConnectionConfig, attempt: Attempt): Pick<pg.ClientConfig, 'ssl' | 'stream'> & { sslnegotiation?: 'direct' } {
  if (!attempt.tls) return { ssl: false };
  const options = tlsOptions(config, attempt.entry);
  if (config.tls?.direct) return { ssl: options, sslnegotiation: 'direct' };
  // pg types `stream` as a Duplex but uses only a socket's calls and events, which PreferTlsSocket has.
  if ((config.sslmode ?? 'prefer') === 'prefer')
    return { ssl: false, stream: () => new PreferTlsSocket(options, attempt.entry.host) as unknown as Duplex };
  return { ssl: options };
}

/**
 * libpq's certificate checks. The chain is verified in verify-ca and verify-full, and in every
 * other mode as soon as a root certificate is at hand (so sslmode=require with sslrootcert
 * behaves as verify-ca); the host name (or IP address) is checked in verify-full only, against
 * the host name even when hostaddr says where to connect.
 */
export function tlsOptions(config: ConnectionConfig, entry: HostEntry): tls.ConnectionOptions {
  const settings = config.tls ?? {};
  const mode = config.sslmode ?? 'prefer';
  const verifyChain = mode === 'verify-ca' || mode === 'verify-full' || settings.rootCert !== undefined;
  const options: tls.ConnectionOptions = {
    rejectUnauthorized: verifyChain,
    minVersion: settings.minProtocolVersion ?? 'TLSv1.2',
    ...(settings.maxProtocolVersion !== undefined ? { maxVersion: settings.maxProtocolVersion } : {}),
    checkServerIdentity:
      mode === 'verify-full' ? (_name: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(entry.host, cert) : () => undefined,
  };
  if (settings.rootCert !== undefined)
    options.ca = settings.rootCert === 'system' ? systemRoots() : readTlsFile(settings.rootCert, 'sslrootcert');
  if (settings.cert !== undefined) options.cert = readTlsFile(settings.cert, 'sslcert');
  if (settings.key !== undefined) options.key = readTlsFile(settings.key, 'sslkey');
  if (settings.password !== undefined) options.passphrase = settings.password;
  if (settings.crl !== undefined) options.crl = readTlsFile(settings.crl, 'sslcrl');
  return options;
}

function readTlsFile(file: string, keyword: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigInvalidError([`${keyword} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
}

/** sslrootcert=system: OpenSSL's trusted roots as the system keeps them, else Node's bundled ones. */
function systemRoots(): string[] | Buffer {
  const file = process.env.SSL_CERT_FILE ?? '/etc/ssl/certs/ca-certificates.crt';
  try {
    return readFileSync(file);
  } catch {
    return [...tls.rootCertificates];
  }
}

/**
 * libpq's password file (passfile, else PGPASSFILE as resolved into passfile, else ~/.pgpass),
 * matched against this host's name, port, database and user, read only when the server asks
 * for a password. A file readable by group or others is ignored, as libpq does.
 */
function passwordFromPassfile(config: ConnectionConfig, entry: HostEntry): () => Promise<string> {
  return async () => {
    const file = config.passfile ?? path.join(process.env.HOME || os.homedir(), '.pgpass');
    let stat: Awaited<ReturnType<typeof fsp.stat>>;
    try {
      stat = await fsp.stat(file);
    } catch {
      return '';
    }
    if (!pgpassHelper.usePgPass(stat, file)) return '';
    const host = entry.host.startsWith('/') ? 'localhost' : entry.host;
    return new Promise((resolve) => {
      pgpassHelper.getPassword(
        { host, port: entry.port, database: config.database, user: config.user },
        createReadStream(file),
        (password) => resolve(password ?? ''),
      );
    });
  };
}

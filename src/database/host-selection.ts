import { type ConnectionConfig, describeHost, type HostEntry, type TargetSessionAttrs } from '../config/connection.js';
import { ConfigInvalidError } from '../config/errors.js';
import { NoSuitableHostError } from './errors.js';
import type { VoipdbError } from '../errors.js';
import { type Attempt, attemptsForHost, hostOrder } from './session-options.js';

/** What a freshly opened session is asked, to decide whether it fits target_session_attrs. */
const SESSION_STATE_SQL =
  "SELECT pg_catalog.pg_is_in_recovery() AS in_recovery, pg_catalog.current_setting('transaction_read_only') = 'on' AS read_only";

interface Queryable {
  query(sql: string): Promise<{ rows: unknown[] }>;
}

export interface OpenedSession<C> {
  client: C;
  attempt: Attempt;
}

export interface SessionOpener<C extends Queryable> {
  /** Opens a session for one attempt (throws the driver's error when it cannot). */
  open(attempt: Attempt): Promise<C>;
  /** Closes a session that did not fit. */
  discard(client: C): Promise<void>;
  /** True for a pooled session that was already checked when it was opened. */
  alreadyChecked?(client: C): boolean;
  /** Maps a driver error for a one-host failure to the typed error the user sees. */
  toError(error: unknown, entry: HostEntry): VoipdbError;
}

type Role = 'primary' | 'standby' | 'read-write' | 'read-only';

/**
 * libpq's host selection: hosts in order (shuffled with load_balance_hosts=random), for each
 * host its encryption attempts (sslmode), and the first session that fits target_session_attrs
 * wins. prefer-standby takes the first standby, else the first server that answered. A failure
 * of TCP (refused, timed out, unknown name) moves on to the next host; a failure after the
 * server answered (TLS refused or rejected, an error from the server) moves on to the host's
 * next encryption attempt first, as libpq does.
 */
export async function selectSession<C extends Queryable>(config: ConnectionConfig, opener: SessionOpener<C>): Promise<OpenedSession<C>> {
  const wanted: TargetSessionAttrs = config.targetSessionAttrs ?? 'any';
  const failures: { entry: HostEntry; reason: string; error?: unknown }[] = [];
  let fallback: OpenedSession<C> | undefined;
  const hosts = hostOrder(config);

  for (const entry of hosts) {
    // Failed encryption attempts count only when no later attempt on this host got a session
    // (prefer's TLS attempt on a server without TLS is not worth reporting).
    const attemptFailures: typeof failures = [];
    for (const attempt of attemptsForHost(entry, config.sslmode)) {
      let client: C;
      try {
        client = await opener.open(attempt);
      } catch (error) {
        if (error instanceof ConfigInvalidError) throw error;
        attemptFailures.push({ entry, reason: reasonOf(error, attempt), error });
        if (afterServerAnswered(error)) continue;
        break;
      }
      attemptFailures.length = 0;
      if (wanted === 'any' || opener.alreadyChecked?.(client)) {
        if (fallback) await opener.discard(fallback.client);
        return { client, attempt };
      }
      let role: { inRecovery: boolean; readOnly: boolean };
      try {
        const { rows } = await client.query(SESSION_STATE_SQL);
        const row = rows[0] as { in_recovery: boolean; read_only: boolean };
        role = { inRecovery: row.in_recovery, readOnly: row.read_only };
      } catch (error) {
        await opener.discard(client);
        failures.push({ entry, reason: `could not be asked its state (${messageOf(error)})`, error });
        break;
      }
      const need: Role = wanted === 'prefer-standby' ? 'standby' : wanted;
      if (fits(need, role)) {
        if (fallback) await opener.discard(fallback.client);
        return { client, attempt };
      }
      if (wanted === 'prefer-standby' && !fallback) fallback = { client, attempt };
      else await opener.discard(client);
      failures.push({ entry, reason: describeRole(role) });
      break;
    }
    failures.push(...attemptFailures);
  }
  if (fallback) return fallback;

  // One host, no role wanted: the familiar error of that host (refused, auth failed, TLS...).
  const distinctHosts = new Set(failures.map((f) => describeHost(f.entry)));
  const last = failures[failures.length - 1];
  if (wanted === 'any' && distinctHosts.size <= 1 && last?.error !== undefined) throw opener.toError(last.error, last.entry);
  const phrase = wanted === 'any' ? 'accepted the connection' : `fits target_session_attrs=${wanted}`;
  throw new NoSuitableHostError(
    `${phrase} (${hosts.length} tried)`,
    summarise(failures).map((f) => ({ host: describeHost(f.entry), reason: redact(f.reason, config.password) })),
  );
}

function fits(need: Role, role: { inRecovery: boolean; readOnly: boolean }): boolean {
  switch (need) {
    case 'primary':
      return !role.inRecovery;
    case 'standby':
      return role.inRecovery;
    case 'read-write':
      return !role.readOnly;
    case 'read-only':
      return role.readOnly;
  }
}

function describeRole(role: { inRecovery: boolean; readOnly: boolean }): string {
  if (role.inRecovery) return 'is a standby (in recovery, read-only)';
  return role.readOnly ? 'is a primary with default_transaction_read_only=on' : 'is a primary (read-write)';
}

/** Several attempts on one host (TLS, then plain) are told as one line per host. */
function summarise<T extends { entry: HostEntry; reason: string }>(failures: T[]): T[] {
  const byHost = new Map<string, T>();
  for (const f of failures) {
    const key = describeHost(f.entry);
    const seen = byHost.get(key);
    byHost.set(key, seen ? { ...f, reason: `${seen.reason}, then ${f.reason}` } : f);
  }
  return [...byHost.values()];
}

/** True when the server took part (TLS or a server error): libpq then tries the host's next encryption method. */
function afterServerAnswered(error: unknown): boolean {
  const e = error as { code?: string; severity?: string; message?: string };
  if (typeof e.severity === 'string') return true;
  if (isTlsError(error)) return true;
  return false;
}

export function isTlsError(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  const message = String(e.message ?? '');
  if (/does not support SSL|error establishing an SSL connection/i.test(message)) return true;
  const code = e.code ?? '';
  return (
    /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code) ||
    code === 'EPROTO' ||
    /certificate/i.test(message)
  );
}

/** Driver messages do not contain passwords, but be certain: remove it if it appears. */
export function redact(message: string, password: string | undefined): string {
  return password ? message.split(password).join('***') : message;
}

function messageOf(error: unknown): string {
  return String((error as { message?: string }).message ?? error).split('\n')[0]!;
}

/** Why one attempt failed, in a few words (never the password). */
export function reasonOf(error: unknown, attempt: Attempt): string {
  const e = error as { code?: string; message?: string };
  const via = attempt.tls ? ' over TLS' : '';
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'refused the connection';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'is not a known host name';
    case 'ETIMEDOUT':
      return 'did not answer in time';
    case '28P01':
    case '28000':
      return `rejected the login${via} (${messageOf(error)})`;
    case '57P03':
      return 'is starting up or shutting down';
    default:
      break;
  }
  if (/does not support SSL/i.test(messageOf(error))) return 'does not accept TLS';
  if (isTlsError(error)) return `failed TLS: ${messageOf(error)}`;
  if (/timeout/i.test(messageOf(error))) return 'did not answer in time';
  return `failed${via}: ${messageOf(error)}`;
}

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { saslprep } from './saslprep.js';

/**
 * SCRAM-SHA-256 verifiers as PostgreSQL stores them in pg_authid.rolpassword
 * (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802/7677). Computed here,
 * on the client, as psql's \password does, so that `ALTER ROLE ... PASSWORD` carries only the
 * verifier and the plaintext never reaches the server, its logs or pg_stat_statements.
 */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
const SALT_BYTES = 16;

export interface ScramVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export async function buildScramVerifier(password: string, options: { iterations?: number; salt?: Buffer } = {}): Promise<string> {
  const iterations = options.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const { storedKey, serverKey } = await deriveKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Parses a stored verifier; undefined for anything else (md5 hashes, NULL, garbage). */
export function parseScramVerifier(text: string | null | undefined): ScramVerifier | undefined {
  const match = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(text ?? '');
  if (!match) return undefined;
  return {
    iterations: Number(match[1]),
    salt: Buffer.from(match[2]!, 'base64'),
    storedKey: Buffer.from(match[3]!, 'base64'),
    serverKey: Buffer.from(match[4]!, 'base64'),
  };
}

/** Whether `password` is the one behind a stored verifier (same salt and iterations, same keys). */
export async function verifierMatchesPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  const parsed = parseScramVerifier(stored);
  if (!parsed) return false;
  const { storedKey, serverKey } = await deriveKeys(password, parsed.salt, parsed.iterations);
  return (
    storedKey.length === parsed.storedKey.length &&
    timingSafeEqual(storedKey, parsed.storedKey) &&
    serverKey.length === parsed.serverKey.length &&
    timingSafeEqual(serverKey, parsed.serverKey)
  );
}

const pbkdf2Async = promisify(pbkdf2);

async function deriveKeys(password: string, salt: Buffer, iterations: number): Promise<{ storedKey: Buffer; serverKey: Buffer }> {
  const salted = await pbkdf2Async(Buffer.from(await saslprep(password), 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return { storedKey, serverKey };
}

import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { ConfigInvalidError } from '../../src/config/errors.js';
import { SecretFileUnreadableError } from '../../src/roles/errors.js';
import { buildScramVerifier, parseScramVerifier, verifierMatchesPassword } from '../../src/roles/scram.js';
import { readRolePassword } from '../../src/roles/secrets.js';
import { syncRolePasswords } from '../../src/roles/sync-passwords.js';
import { adminQuery, query, server, type ServerName } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';
import { acquireRolePasswordLock } from '../support/role-passwords.js';

/**
 * Role passwords from the environment, applied as client-computed SCRAM verifiers: login works,
 * a changed variable applies, an absent one leaves the password alone, and the plaintext never
 * reaches the server (neither in the statements sent nor in the server log).
 */
async function canLogin(config: ConnectionConfig, user: string, password: string): Promise<true | string> {
  const client = new pg.Client({ ...config, user, password, application_name: 'voipdb-test' });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A client that records the text of every statement it sends. */
async function recordingClient(config: ConnectionConfig): Promise<{ client: pg.Client; sent: string[] }> {
  const client = new pg.Client({ ...config, application_name: 'voipdb-test' });
  await client.connect();
  const sent: string[] = [];
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const [text, values] = args as [string | { text: string }, unknown[] | undefined];
    sent.push(typeof text === 'string' ? text : text.text, ...(Array.isArray(values) ? values.map(String) : []));
    return original(...args);
  };
  return { client, sent };
}

describe('SCRAM verifiers', () => {
  it.each([
    ['ascii', 'correct horse battery staple'],
    ['latin', 'pässwörd-Ünïcode'],
    ['cjk', '密码パスワード'],
    ['non-ASCII space (mapped to a space)', 'a\u00a0b\u3000c'],
    ['soft hyphen (mapped to nothing)', 'pa\u00adss\u00e9'],
    ['fullwidth letters (NFKC)', 'ｆｕｌｌｗｉｄｔｈ１２'],
    // Where SASLprep refuses the password, PostgreSQL hashes it raw; the verifier must follow.
    ['bidi rule broken (raw password)', 'abc\u05d0'],
    ['prohibited private-use character (raw password)', 'pw\ue000pw'],
    ['emoji, unassigned in Unicode 3.2 (raw password)', 'pw\u{1f600}'],
    ['only mapped-to-nothing characters (raw password)', '\u00ad\u200b'],
  ])('equal the verifier PostgreSQL 18 computes itself (%s)', async (_label, password) => {
    // Test only: the server hashes a known plaintext so that we can compare with its salt.
    const s = server('pg18');
    const role = `scram_${randomBytes(4).toString('hex')}`;
    await adminQuery(s, `SET password_encryption = 'scram-sha-256'; CREATE ROLE ${role} PASSWORD ${pg.escapeLiteral(password)}`);
    try {
      const [row] = await adminQuery<{ rolpassword: string }>(s, 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
      const stored = parseScramVerifier(row!.rolpassword)!;
      expect(await buildScramVerifier(password, { salt: stored.salt, iterations: stored.iterations })).toBe(row!.rolpassword);
      expect(await verifierMatchesPassword(row!.rolpassword, password)).toBe(true);
      expect(await verifierMatchesPassword(row!.rolpassword, `${password}x`)).toBe(false);
    } finally {
      await adminQuery(s, `DROP ROLE ${role}`);
    }
  });

  it('never contain the password', async () => {
    const verifier = await buildScramVerifier('hunter2-hunter2');
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(verifier).not.toContain('hunter2');
  });
});

describe('password variables and files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-secrets-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads the variable, or the file with its trailing newline trimmed', async () => {
    expect(readRolePassword('kamailio', { VOIPDB_KAMAILIO_PASSWORD: 's3cret' })).toBe('s3cret');
    const file = path.join(dir, 'kamailio');
    await fs.writeFile(file, 'from-file\n');
    expect(readRolePassword('kamailio', { VOIPDB_KAMAILIO_PASSWORD_FILE: file })).toBe('from-file');
    expect(readRolePassword('voipadmin', { VOIPDB_KAMAILIO_PASSWORD: 'x' })).toBeUndefined();
  });

  it('refuses an unreadable file, an empty file, and both forms at once', async () => {
    expect(() => readRolePassword('replicator', { VOIPDB_REPLICATOR_PASSWORD_FILE: path.join(dir, 'missing') })).toThrow(
      SecretFileUnreadableError,
    );
    const empty = path.join(dir, 'empty');
    await fs.writeFile(empty, '\n');
    expect(() => readRolePassword('replicator', { VOIPDB_REPLICATOR_PASSWORD_FILE: empty })).toThrow(SecretFileUnreadableError);
    expect(() => readRolePassword('replicator', { VOIPDB_REPLICATOR_PASSWORD: 'a', VOIPDB_REPLICATOR_PASSWORD_FILE: empty })).toThrow(
      ConfigInvalidError,
    );
    try {
      readRolePassword('replicator', { VOIPDB_REPLICATOR_PASSWORD_FILE: path.join(dir, 'missing') });
    } catch (error) {
      expect((error as SecretFileUnreadableError).code).toBe('SECRET_FILE_UNREADABLE');
      expect((error as SecretFileUnreadableError).exitCode).toBe(2);
    }
  });
});

describe.each<ServerName>(['pg18', 'pg15'])('syncRolePasswords on %s', (serverName) => {
  let db: ConnectionConfig;
  let release: () => Promise<void>;
  const first = `first-${randomBytes(8).toString('hex')}`;
  const second = `second-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    db = await migratedDatabase(serverName);
    release = await acquireRolePasswordLock(serverName);
  });
  afterAll(async () => {
    await release?.();
  });

  const storedVerifier = async (role: string): Promise<string | null> =>
    (await query<{ rolpassword: string | null }>(db, 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]))[0]!.rolpassword;

  it('sets a verifier the role logs in with; the plaintext is never sent nor logged', async () => {
    const { client, sent } = await recordingClient(db);
    try {
      await client.query("SET log_statement = 'all'");
      const results = await syncRolePasswords(client, { VOIPDB_KAMAILIO_PASSWORD: first });
      expect(results).toEqual([
        { role: 'kamailio', action: 'set' },
        { role: 'voipadmin', action: 'not-configured' },
        { role: 'replicator', action: 'not-configured' },
      ]);
    } finally {
      await client.end();
    }
    expect(sent.some((s) => s.includes(first))).toBe(false);
    expect(sent.some((s) => /^ALTER ROLE kamailio PASSWORD 'SCRAM-SHA-256\$/.test(s))).toBe(true);
    const stored = await storedVerifier('kamailio');
    expect(stored).toMatch(/^SCRAM-SHA-256\$/);
    expect(stored).not.toContain(first);
    expect(await canLogin(db, 'kamailio', first)).toBe(true);

    const s = server(serverName);
    if (s.via !== 'testcontainers') {
      // The local harness writes the server log next to the data directory.
      const logFile = path.join(s.dataDir!, '..', 'server.log');
      expect(existsSync(logFile), logFile).toBe(true);
      const log = await fs.readFile(logFile, 'utf8');
      expect(log).toContain('ALTER ROLE kamailio PASSWORD'); // log_statement worked...
      expect(log).not.toContain(first); // ...and shows only the verifier
    }
  });

  it('leaves a matching password alone, and a role whose variable is absent', async () => {
    const before = await storedVerifier('kamailio');
    const results = await syncRolePasswords(await connected(db), { VOIPDB_KAMAILIO_PASSWORD: first });
    expect(results[0]).toEqual({ role: 'kamailio', action: 'unchanged' });
    await syncRolePasswords(await connected(db), {});
    expect(await storedVerifier('kamailio')).toBe(before);
    expect(await canLogin(db, 'kamailio', first)).toBe(true);
  });

  it('applies a changed variable: the new password works, the old one no longer does', async () => {
    const results = await syncRolePasswords(await connected(db), { VOIPDB_KAMAILIO_PASSWORD: second });
    expect(results[0]).toEqual({ role: 'kamailio', action: 'set' });
    expect(await canLogin(db, 'kamailio', second)).toBe(true);
    expect(await canLogin(db, 'kamailio', first)).toBe('28P01');
  });

  it('changes nothing when one secret file is bad', async () => {
    const before = await storedVerifier('kamailio');
    await expect(
      syncRolePasswords(await connected(db), {
        VOIPDB_KAMAILIO_PASSWORD: `${second}-new`,
        VOIPDB_VOIPADMIN_PASSWORD_FILE: '/nonexistent/voipadmin',
      }),
    ).rejects.toBeInstanceOf(SecretFileUnreadableError);
    expect(await storedVerifier('kamailio')).toBe(before);
  });
});

/** A connection closed automatically at the end of the test file's worker (small helper for brevity). */
const open: pg.Client[] = [];
async function connected(config: ConnectionConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, application_name: 'voipdb-test' });
  await client.connect();
  open.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(open.map((c) => c.end().catch(() => undefined)));
});

import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { createDb } from '../../src/index.js';
import { serverOsUser, stopCluster } from '../../src/local/cluster.js';
import { runCli } from '../support/cli.js';
import { server as testServer } from '../support/database.js';
import { type LocalServer, makeRunDir, startLocalServer } from '../support/servers.js';
import { makeTestCertificates, type TestCertificates } from '../support/tls.js';

/**
 * sslmode against a real PostgreSQL 18 with ssl = on and a certificate for `localhost` signed by
 * a CA this test makes with openssl. Whether a session uses TLS is read from pg_stat_ssl.
 */
describe('TLS as libpq defines sslmode (PG 18, ssl = on)', () => {
  let root: string;
  let server: LocalServer;
  let certs: TestCertificates;
  let home: string;

  beforeAll(async () => {
    root = await makeRunDir('tls');
    certs = await makeTestCertificates(path.join(root, 'certs'), serverOsUser());
    server = await startLocalServer('pg18', root, { ssl: 'on', ssl_cert_file: certs.serverCert, ssl_key_file: certs.serverKey });
    // An empty home: no ~/.postgresql/root.crt of the machine may change an outcome.
    home = path.join(root, 'home');
    await fs.mkdir(home);
  });
  afterAll(async () => {
    if (server?.dataDir) await stopCluster(server.dataDir);
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const url = (host: string, params: string): string =>
    `postgres://${server.user}:${server.password}@${host}:${server.port}/postgres?${params}`;

  /** Connects as the CLI does and reports whether pg_stat_ssl says this session is encrypted. */
  const sessionUsesTls = async (connectionUrl: string): Promise<boolean> => {
    const { config, problems } = resolveConnection({ url: connectionUrl, env: { HOME: home } });
    expect(problems).toEqual([]);
    return withConnection(config!, async (client) => {
      const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      return rows[0]!.ssl;
    });
  };
  const cli = (connectionUrl: string) => runCli(['status', '--url', connectionUrl], { env: { HOME: home } });

  it('verify-full with the right CA and host name connects over TLS', async () => {
    expect(await sessionUsesTls(url('localhost', `sslmode=verify-full&sslrootcert=${certs.caCert}`))).toBe(true);
    // hostaddr says where to connect; the certificate is still checked against the host name.
    expect(await sessionUsesTls(url('localhost', `hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=${certs.caCert}`))).toBe(true);
    const r = await cli(url('localhost', `sslmode=verify-full&sslrootcert=${certs.caCert}`));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('verify-full with the wrong CA fails with exit 3, saying the certificate is not trusted', async () => {
    const r = await cli(url('localhost', `sslmode=verify-full&sslrootcert=${certs.otherCaCert}`));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[TLS_FAILED\]: the certificate of localhost:\d+ is not trusted/m);
    expect(r.stderr).toContain(certs.otherCaCert);
    expect(r.stderr).not.toContain(server.password);
  });

  it('verify-full with a host name the certificate does not list fails with exit 3, saying so', async () => {
    const r = await cli(url('127.0.0.1', `sslmode=verify-full&sslrootcert=${certs.caCert}`));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[TLS_FAILED\]: the certificate of 127\.0\.0\.1:\d+ is not issued for "127\.0\.0\.1"/m);
    expect(r.stderr).not.toContain(server.password);
  });

  it('verify-ca checks the CA but not the name; require with sslrootcert behaves as verify-ca', async () => {
    expect(await sessionUsesTls(url('127.0.0.1', `sslmode=verify-ca&sslrootcert=${certs.caCert}`))).toBe(true);
    expect(await sessionUsesTls(url('127.0.0.1', `sslmode=require&sslrootcert=${certs.caCert}`))).toBe(true);
    const r = await cli(url('127.0.0.1', `sslmode=require&sslrootcert=${certs.otherCaCert}`));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error[TLS_FAILED]');
  });

  it('require connects over TLS without a CA', async () => {
    expect(await sessionUsesTls(url('127.0.0.1', 'sslmode=require'))).toBe(true);
  });

  it('prefer (and no sslmode at all) uses TLS where the server offers it; allow and disable do not', async () => {
    expect(await sessionUsesTls(url('127.0.0.1', 'sslmode=prefer'))).toBe(true);
    expect(await sessionUsesTls(url('127.0.0.1', 'application_name=default-sslmode'))).toBe(true);
    expect(await sessionUsesTls(url('127.0.0.1', 'sslmode=allow'))).toBe(false);
    expect(await sessionUsesTls(url('127.0.0.1', 'sslmode=disable'))).toBe(false);
  });

  it('prefer falls back to plain where the server has no TLS; require then fails with exit 3', async () => {
    const plain = testServer('pg18');
    const plainUrl = (params: string) => `postgres://${plain.user}:${plain.password}@${plain.host}:${plain.port}/postgres?${params}`;
    expect(await sessionUsesTls(plainUrl('sslmode=prefer'))).toBe(false);
    const r = await cli(plainUrl('sslmode=require'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error\[TLS_FAILED\]: 127\.0\.0\.1:\d+ does not accept TLS connections, and sslmode=require requires TLS/m);
  });

  it('prefer takes one connection to a server without TLS (plain after its N, as libpq), and falls back to plain when the handshake fails', async () => {
    const plain = testServer('pg18');
    // A loopback relay in front of the plain server counts the TCP connections the client opens.
    let connections = 0;
    const relay = net.createServer((client) => {
      connections += 1;
      const upstream = net.connect(plain.port, plain.host);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const port = (relay.address() as net.AddressInfo).port;
      expect(await sessionUsesTls(`postgres://${plain.user}:${plain.password}@127.0.0.1:${port}/postgres?sslmode=prefer`)).toBe(false);
      expect(connections).toBe(1);
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
    // A TLS server whose certificate the given CA did not sign: the handshake fails, the plain attempt follows.
    expect(await sessionUsesTls(url('localhost', `sslmode=prefer&sslrootcert=${certs.otherCaCert}`))).toBe(false);
  });

  it('allow falls back to TLS when the server refuses a plain session (pg_hba hostssl only); disable then fails', async () => {
    const hba = path.join(server.dataDir!, 'pg_hba.conf');
    const original = await fs.readFile(hba, 'utf8');
    const reload = (text: string) =>
      fs.writeFile(hba, text).then(() => withConnection(superuser(), (c) => c.query('SELECT pg_reload_conf()')));
    const superuser = () => {
      return resolveConnection({ url: url('127.0.0.1', 'sslmode=require'), env: { HOME: home } }).config!;
    };
    await reload('hostssl all all 127.0.0.1/32 scram-sha-256\n');
    try {
      expect(await sessionUsesTls(url('127.0.0.1', 'sslmode=allow'))).toBe(true);
      const r = await cli(url('127.0.0.1', 'sslmode=disable'));
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/no encryption/);
    } finally {
      await reload(original);
    }
  });

  it("the client's pool (createDb) follows the same rules", async () => {
    const db = createDb(url('localhost', `sslmode=verify-full&sslrootcert=${certs.caCert}`));
    try {
      const { rows } = await sql<{ ssl: boolean }>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`.execute(db);
      expect(rows[0]!.ssl).toBe(true);
    } finally {
      await db.destroy();
    }
    const wrong = createDb(url('localhost', `sslmode=verify-full&sslrootcert=${certs.otherCaCert}`));
    try {
      await expect(sql`SELECT 1`.execute(wrong)).rejects.toMatchObject({ code: 'TLS_FAILED' });
    } finally {
      await wrong.destroy();
    }
  });
});

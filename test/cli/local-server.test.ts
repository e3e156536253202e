import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localPaths, startLocalServer, stopLocalServer } from '../../src/local/server.js';
import { runCli } from '../support/cli.js';
import { checkout, initdbRunning, spawnUp, waitFor } from '../support/local-checkout.js';

/**
 * `npm start` / `db up` in checkouts of their own: temporary folders that link the repository's
 * migrations, schema.sql, src/ and test/ and keep their own .voipdb/ (the embedded PostgreSQL 18).
 * The first start is interrupted for real during initdb; then a second checkout runs beside it.
 */
describe('the local server of a checkout (embedded PostgreSQL 18)', () => {
  let first: string;
  let second: string;

  beforeAll(async () => {
    first = await checkout('first');
    second = await checkout('second');
  });
  afterAll(async () => {
    for (const dir of [first, second]) {
      if (!dir) continue;
      await stopLocalServer(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('a first start interrupted during initdb (SIGINT, then SIGKILL of the group) is made again by the next db up; no password file stays', async () => {
    const local = localPaths(first);
    // Ctrl-C as a script's `kill -INT` sends it: to the command only.
    const interrupted = await interruptDuringInitdb(first, (child) => process.kill(child.pid!, 'SIGINT'));
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toMatch(/^error\[LOCAL_SERVER_INTERRUPTED\]: interrupted \(SIGINT\) while making the local server/);
    expect(await passwordFiles(first)).toEqual([]);
    expect(existsSync(local.dataDir) || existsSync(local.pgpass) || existsSync(local.making)).toBe(false);

    // A lost node or the OOM killer: nothing can clean up; the next start must.
    const killed = await interruptDuringInitdb(first, (child) => process.kill(-child.pid!, 'SIGKILL'));
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(local.making)).toBe(true);

    const up = await runCli(['up'], { cwd: first, timeoutMs: 120_000 });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain('the first start here was cut short before: made .voipdb/ again (it held no data)');
    expect(up.stdout).toMatch(/started local PostgreSQL 18 \(pid \d+\) on 127\.0\.0\.1:\d+/);
    expect(await passwordFiles(first)).toEqual([]);
    expect(existsSync(local.making)).toBe(false);
  });

  test("after db up, db status with no connection settings at all uses this checkout's server and says so; elsewhere it still asks for them", async () => {
    // runCli's environment is PATH, HOME and NO_COLOR only: no --url, DATABASE_URL or PG* variable.
    const { port } = JSON.parse(await fs.readFile(localPaths(first).state, 'utf8')) as { port: number };
    const status = await runCli(['status'], { cwd: first });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toBe(
      `using this checkout's local server: postgres://postgres@127.0.0.1:${port}/voipdb (password from .voipdb/pgpass; no --url, DATABASE_URL or PG* variable is set)\n`,
    );
    expect(status.stdout).toMatch(/^\d+ applied, 0 pending$/m);

    // Settings given win, and no line is printed: here a server that is not there.
    const given = await runCli(['status'], { cwd: first, env: { PGHOST: '127.0.0.1', PGPORT: '1', PGCONNECT_TIMEOUT: '2' } });
    expect(given.code).toBe(3);
    expect(given.stderr).not.toContain('local server');

    // A folder without .voipdb/ (a node, a service's folder): as before.
    const elsewhere = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-no-checkout-'));
    try {
      const none = await runCli(['status'], { cwd: elsewhere });
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/^error\[NO_CONNECTION_CONFIGURED\]: no database connection is configured/);
    } finally {
      await fs.rm(elsewhere, { recursive: true, force: true });
    }
  });

  test("a second checkout's server takes another port while the first runs; its start and db check use its own", async () => {
    const firstServer = await startLocalServer(first);
    // The second asks for the port the first holds, as both would ask for 54318.
    const secondServer = await startLocalServer(second, { preferredPort: firstServer.port });
    expect(secondServer.port).not.toBe(firstServer.port);
    expect(JSON.parse(await fs.readFile(localPaths(second).state, 'utf8'))).toEqual({ port: secondServer.port });

    const start = await runCli(['start'], { cwd: second });
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toContain(`already running local PostgreSQL 18 (pid ${secondServer.pid}) on 127.0.0.1:${secondServer.port}`);

    const check = await runCli(['check'], { cwd: second, timeoutMs: 280_000 });
    expect(check.code, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/all \d+ checks passed/);
  }, 300_000);

  test('a server stopped while another program took its port moves to a free one and keeps it', async () => {
    const before = await startLocalServer(second);
    await stopLocalServer(second);
    const squatter = await listenOn(before.port);
    try {
      const moved = await runCli(['start'], { cwd: second });
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stdout).toContain(`port ${before.port} was taken by another program`);
      const { port } = JSON.parse(await fs.readFile(localPaths(second).state, 'utf8')) as { port: number };
      expect(port).not.toBe(before.port);
      expect(await fs.readFile(localPaths(second).pgpass, 'utf8')).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}:`));
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  test('a cluster that has run but lost its password file is left alone: its own error, exit 2', async () => {
    await stopLocalServer(second);
    const local = localPaths(second);
    await fs.rename(local.pgpass, `${local.pgpass}.saved`);
    try {
      const r = await runCli(['start'], { cwd: second });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error\[LOCAL_SERVER_INCOMPLETE\]: the local server in .* has data but its \.voipdb\/pgpass is missing/);
      expect(existsSync(path.join(local.dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      await fs.rename(`${local.pgpass}.saved`, local.pgpass);
    }
  });
});

/** Runs `db up` in its own process group, and interrupts it while initdb runs. */
async function interruptDuringInitdb(
  cwd: string,
  interrupt: (child: ReturnType<typeof spawnUp>['child']) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const run = spawnUp(cwd);
  await waitFor(run, 'initdb', () => initdbRunning(localPaths(cwd).dataDir));
  interrupt(run.child);
  const { code, signal } = await run.closed;
  return { code, signal, stderr: run.stderr() };
}

/** What initdb was fed its password through, or an earlier version's password file, left beside the data folder. */
async function passwordFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(path.join(dir, '.voipdb')).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('.pwfile-') || n.startsWith('.initdb-stdin-'));
}

async function listenOn(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

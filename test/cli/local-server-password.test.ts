import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localPaths, stopLocalServer } from '../../src/local/server.js';
import { checkout, initdbRunning, spawnUp, waitFor } from '../support/local-checkout.js';

/**
 * The local server's superuser password is kept in .voipdb/pgpass (that is its documented home)
 * and nowhere else, at any moment: initdb reads it from its standard input. A first start is
 * SIGKILLed (with everything it started) at several moments, then completed, while every
 * regular file in .voipdb/ and in the command's temp folder is read as soon as it appears or
 * changes. The password is 24 base64url characters (18 random bytes), so a file that held any
 * password shows a 24-character run of them.
 */
const TOKEN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{24}(?![A-Za-z0-9_-])/g;
const MAX_READ = 2 * 1024 * 1024;

describe('the local server password during a first start (embedded PostgreSQL 18)', () => {
  let dir: string;
  let tmp: string;

  beforeAll(async () => {
    dir = await checkout('password');
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-password-tmp-'));
  });
  afterAll(async () => {
    if (dir) {
      await stopLocalServer(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  test('SIGKILL before, during and after initdb, then a full start: no file but .voipdb/pgpass ever holds the password', async () => {
    const local = localPaths(dir);
    const scanner = new FileScanner([local.root, tmp]);
    const scanning = scanner.run();
    try {
      const moments: Array<[string, () => Promise<boolean>]> = [
        ['making.pid written', async () => existsSync(local.making)],
        ['initdb running', () => initdbRunning(local.dataDir)],
        ['initdb has written pg_control', async () => existsSync(path.join(local.dataDir, 'global', 'pg_control'))],
        ['pgpass written', async () => existsSync(local.pgpass)],
      ];
      for (const [moment, reached] of moments) {
        const run = spawnUp(dir, { TMPDIR: tmp });
        await waitFor(run, moment, reached);
        process.kill(-run.child.pid!, 'SIGKILL');
        expect((await run.closed).signal, moment).toBe('SIGKILL');
        await scanner.pass();
        // Whatever the kill left: no regular file beside the data folder, or in the temp folder, held a password.
        expect(scanner.tokensOutside([local.pgpass, local.dataDir, path.dirname(local.log)]), moment).toEqual([]);
      }

      const up = spawnUp(dir, { TMPDIR: tmp });
      expect((await up.closed).code, up.stderr()).toBe(0);
      await scanner.pass();
      const password = (await fs.readFile(local.pgpass, 'utf8')).trim().split(':').slice(4).join(':');
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      // The scanner does see a file holding it: pgpass itself.
      expect(scanner.filesHolding(password)).toEqual([local.pgpass]);
      expect(scanner.filesRead).toBeGreaterThan(100);
      expect((await fs.readdir(local.root)).filter((n) => n.startsWith('.'))).toEqual([]);
    } finally {
      scanner.stop();
      await scanning;
    }
  }, 240_000);
});

/**
 * Reads every regular file under `roots` whenever its size or mtime changes, keeping the
 * 24-character base64url runs each ever held. FIFOs and sockets are never opened (reading
 * initdb's standard input would steal its password).
 */
class FileScanner {
  private readonly tokens = new Map<string, Set<string>>();
  private readonly versions = new Map<string, string>();
  private stopped = false;
  filesRead = 0;

  constructor(private readonly roots: string[]) {}

  /** Passes one after another, with a breath between them for initdb on a busy machine (a file lives far longer). */
  async run(): Promise<void> {
    while (!this.stopped) {
      await this.pass();
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  stop(): void {
    this.stopped = true;
  }

  async pass(): Promise<void> {
    for (const root of this.roots) await this.walk(root);
  }

  /** Files (other than those under `skip`) that ever held any password-shaped run. */
  tokensOutside(skip: string[]): string[] {
    return [...this.tokens]
      .filter(([file, found]) => found.size > 0 && !skip.some((s) => file === s || file.startsWith(`${s}/`)))
      .map(([file, found]) => `${file}: ${found.size} password-shaped run(s)`);
  }

  filesHolding(secret: string): string[] {
    return [...this.tokens].filter(([, found]) => found.has(secret)).map(([file]) => file);
  }

  private async walk(dir: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await this.walk(file);
        continue;
      }
      if (!entry.isFile()) continue;
      const stat = await fs.lstat(file).catch(() => undefined);
      if (!stat?.isFile() || stat.size > MAX_READ) continue;
      const version = `${stat.size}:${stat.mtimeMs}`;
      if (this.versions.get(file) === version) continue;
      const content = await fs.readFile(file).catch(() => undefined);
      if (content === undefined) continue;
      this.versions.set(file, version);
      this.filesRead++;
      const found = this.tokens.get(file) ?? new Set<string>();
      for (const match of content.toString('latin1').matchAll(TOKEN)) found.add(match[0]);
      this.tokens.set(file, found);
    }
  }
}

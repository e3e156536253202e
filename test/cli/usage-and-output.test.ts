import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli } from '../support/cli.js';
import { configUrl, freshDatabase, query } from '../support/database.js';
import { migrationsFixture } from '../support/fixtures.js';

/** One `error[CODE]: …` line, a `hint:` line, no stack, exit 2: the shape of every usage error. */
function expectUsageError(r: { code: number | null; stderr: string; stdout: string }, code: string, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(new RegExp(`^error\\[${code}\\]: `));
  expect(lines[0]).toMatch(message);
  expect(lines.at(-1)).toMatch(/^hint: /);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
}

describe('usage errors through the built CLI', () => {
  it("commander's own refusals have the error[CODE] + hint shape and exit 2", async () => {
    const runs = await Promise.all([
      runCli(['migrate', '--bogus']),
      runCli(['migrat']),
      runCli(['status', '--url']),
      runCli(['config', 'render', '--node', 'node1', '--service', 'asterisk']),
      runCli(['status', 'extra']),
    ]);
    expectUsageError(runs[0]!, 'UNKNOWN_OPTION', /unknown option '--bogus'/);
    expect(runs[0]!.stderr).toContain('hint: run `db migrate --help`');
    expectUsageError(runs[1]!, 'UNKNOWN_COMMAND', /unknown command 'migrat'.*Did you mean migrate\?/);
    expectUsageError(runs[2]!, 'MISSING_VALUE', /option '--url <url>' argument missing/);
    expectUsageError(runs[3]!, 'INVALID_CHOICE', /'asterisk' is invalid\. Allowed choices are kamailio/);
    expect(runs[3]!.stderr).toContain('hint: run `db config render --help`');
    expectUsageError(runs[4]!, 'TOO_MANY_ARGUMENTS', /too many arguments for 'status'/);
  });

  it('an out-of-range duration and a YAML alias bomb are usage errors, not internal ones', async () => {
    const url = 'postgres://nobody@127.0.0.1:1/voipdb';
    const [timeout, wait, lag] = await Promise.all([
      runCli(['migrate', '--url', url, '--lock-timeout', '99999999999']),
      runCli(['migrate', '--url', url, '--lock-wait', '30000000min']),
      runCli(['doctor', '--url', url, '--max-lag-seconds', '9999999999']),
    ]);
    expectUsageError(timeout, 'CONFIG_INVALID', /--lock-timeout must be at most 2147483647 ms .*got "99999999999"/);
    expectUsageError(wait, 'CONFIG_INVALID', /--lock-wait must be at most 2147483647 ms/);
    expect(lag.stderr).toMatch(/--max-lag-seconds must be at most 2147483647 ms/);
    expect(lag.stderr).not.toContain('INTERNAL');

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-bomb-'));
    const levels = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `l${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(', ')}]`,
      );
    await fs.writeFile(path.join(dir, 'bomb.yaml'), `${levels.join('\n')}\n`);
    const bomb = await runCli(['config', 'render', '--node', 'node1', '--topology', path.join(dir, 'bomb.yaml')], { timeoutMs: 20_000 });
    expect(bomb.signal).toBeNull();
    expect(bomb.stderr).toMatch(/^error\[TOPOLOGY_INVALID\]: .*bomb\.yaml: YAML: more than 50 alias expansions/);
    expect(bomb.code).toBe(2);
  });
});

/** Runs the CLI with stdout read until `closeAfter` matches, then closed, as `| head -1` does. */
function runWithClosedStdout(args: string[], env: Record<string, string>, closeAfter: RegExp) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (closeAfter.test(stdout)) child.stdout.destroy();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a reader that closes stdout (db status | head -1, db migrate | head -1)', () => {
  it('ends output quietly; the migration in flight and the ones after it still complete, and status still exits 0', async () => {
    const db = await freshDatabase('pg18');
    const dir = await migrationsFixture({
      '0001_a.sql': 'CREATE SCHEMA app;',
      '0002_slow.sql': 'CREATE TABLE app.t (id int);\nSELECT pg_sleep(0.5);\nINSERT INTO app.t VALUES (1);\n',
      '0003_c.sql': 'INSERT INTO app.t VALUES (2);',
    });
    const env = { DATABASE_URL: configUrl(db) };
    // Closed after the first line, while 0001 (or 0002) runs: every later line meets a closed pipe.
    const migrate = await runWithClosedStdout(['migrate', '--migrations-dir', dir], env, /^migrating .*\n/);
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).not.toContain('done: applied');
    const history = await query<{ version: number }>(db, 'SELECT version FROM voipdb_meta.migrations ORDER BY version');
    expect(history.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(await query(db, 'SELECT id FROM app.t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);

    const status = await runWithClosedStdout(['status', '--migrations-dir', dir], env, /\n/);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
  });
});

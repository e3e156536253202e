import path from 'node:path';
import { CLI, REPO, type BenchContext } from '../lib/context.js';
import { figure, type Figure } from '../lib/figure.js';
import { runProcess } from '../lib/processes.js';
import { interleave, median } from '../lib/stats.js';

const SELECT1_FLOOR = path.join(REPO, 'bench/floor/select1.js');

/** Whether the built CLI has `db check` (another engineer builds it). */
export async function hasCheckCommand(): Promise<boolean> {
  // `db check --help` would print the root help (exit 0) when there is no such command.
  const { stdout } = await runProcess(process.execPath, [CLI, '--help'], { cwd: REPO });
  return /^ {2}check\b/m.test(stdout);
}

/** 6a. `db check`, whole process, on a migrated database; the node SELECT 1 process for scale. */
export async function benchCheck(ctx: BenchContext, database: string, runs: number): Promise<Figure[]> {
  const result = await interleave(
    runs,
    async () => {
      // Exit 1 = ran, found something: still a whole run. 2 and above: it did not run.
      const run = await runProcess(process.execPath, [CLI, 'check', '--url', ctx.url(database)], {
        env: ctx.env,
        cwd: REPO,
        allowFailure: true,
      });
      if (run.code > 1) throw new Error(`db check exited with ${run.code}: ${run.stderr.trim()}`);
      return run.ms;
    },
    async () => (await runProcess(process.execPath, [SELECT1_FLOOR], { env: { ...ctx.env, PGDATABASE: database }, cwd: REPO })).ms,
  );
  return [
    figure({
      id: '6 db-check',
      what: 'db check (whole process)',
      unit: 'ms',
      value: median(result.measured),
      samples: result.measured,
      floorWhat: 'node: pg connect + SELECT 1',
      floor: median(result.floor),
      floorSamples: result.floor,
      target: null,
    }),
  ];
}

/** 6b. `npm test` wall time (build + the whole vitest suite on its own servers); no floor. */
export async function benchTests(): Promise<Figure[]> {
  const { ms, code } = await runProcess('npm', ['test'], { cwd: REPO, allowFailure: true });
  return [
    figure({
      id: '6 npm-test',
      what: 'npm test (build + whole suite), wall time',
      unit: 'ms',
      value: ms,
      samples: [ms],
      floorWhat: '-',
      floor: null,
      floorSamples: [],
      target: null,
      note: code === 0 ? 'suite passed' : `suite FAILED (exit ${code}): the time is of a failing run`,
    }),
  ];
}

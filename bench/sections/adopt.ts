import { ensureKamailio } from '../../test/support/kamailio.js';
import { kamdbctlCreate } from '../../test/support/kamdbctl.js';
import { CLI, REPO, type BenchContext } from '../lib/context.js';
import { figure, type Figure } from '../lib/figure.js';
import { runProcess } from '../lib/processes.js';
import { interleave, median } from '../lib/stats.js';

const ROWS = 100_000;

/**
 * 7. `db adopt` of a kamdbctl 5.6.3 database (whole process), against the same adoption of the
 *    same database with empty tables (the DDL alone): with 100k location and accounting rows only
 *    (moving them must cost the catalog change, not a copy), and with 100k subscribers on top
 *    (each becomes an extension whose trigger takes its subscriber row over: per-row work).
 */
export async function benchAdopt(ctx: BenchContext, runs: number): Promise<Figure[]> {
  const install = await ensureKamailio();
  const empty = await ctx.createDatabase('bench_kam_empty');
  await kamdbctlCreate(ctx.config(empty), install);
  const moved = await ctx.createDatabase('bench_kam_rows', empty);
  await ctx.query(
    moved,
    `INSERT INTO public.location (ruid, username, contact, expires)
     SELECT 'ruid-' || i, 'u' || i, 'sip:u' || i || '@192.0.2.1:5060', '2030-01-01' FROM generate_series(1, ${ROWS}) i;
     INSERT INTO public.acc (method, callid, sip_code, sip_reason, time)
     SELECT 'INVITE', 'call-' || i, '200', 'OK', '2026-01-01' FROM generate_series(1, ${ROWS}) i`,
  );
  await ctx.query(moved, 'VACUUM ANALYZE');
  const full = await ctx.createDatabase('bench_kam_subs', moved);
  await ctx.query(
    full,
    `INSERT INTO public.subscriber (username, domain, password, ha1, ha1b)
     SELECT 'u' || i, 'bench.test', CASE WHEN i % 2 = 0 THEN 'pw' || i ELSE '' END,
            CASE WHEN i % 2 = 0 THEN '' ELSE md5('u' || i || ':bench.test:pw' || i) END,
            CASE WHEN i % 2 = 0 THEN '' ELSE md5('u' || i || '@bench.test:bench.test:pw' || i) END
       FROM generate_series(1, ${ROWS}) i`,
  );
  await ctx.query(full, 'VACUUM ANALYZE');
  const adopt = async (template: string): Promise<number> => {
    const database = await ctx.createDatabase('bench_adopt', template);
    return (await runProcess(process.execPath, [CLI, 'adopt', '--url', ctx.url(database)], { env: ctx.env, cwd: REPO })).ms;
  };
  const rowsOnly = await interleave(
    runs,
    () => adopt(moved),
    () => adopt(empty),
  );
  const withSubscribers = await interleave(
    runs,
    () => adopt(full),
    () => adopt(empty),
  );
  return [
    figure({
      id: '7 adopt-move',
      what: `db adopt, ${ROWS / 1000}k location + ${ROWS / 1000}k acc rows (whole process)`,
      unit: 'ms',
      value: median(rowsOnly.measured),
      samples: rowsOnly.measured,
      floorWhat: 'db adopt of the same tables, empty',
      floor: median(rowsOnly.floor),
      floorSamples: rowsOnly.floor,
      target: { op: '<=', ratio: 1.5 },
    }),
    figure({
      id: '7 adopt-subscribers',
      what: `db adopt, + ${ROWS / 1000}k subscribers -> extensions (half plaintext)`,
      unit: 'ms',
      value: median(withSubscribers.measured),
      samples: withSubscribers.measured,
      floorWhat: 'db adopt of the same tables, empty',
      floor: median(withSubscribers.floor),
      floorSamples: withSubscribers.floor,
      target: null,
    }),
  ];
}

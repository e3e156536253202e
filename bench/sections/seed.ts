import pg from 'pg';
import { computeDigestHashes } from '../../dist/voip/credentials.js';
import { SCALE_DOMAIN, SCALE_FIRST_EXTENSION, scalePassword } from '../../src/voip/demo-data.js';
import { CLI, REPO, type BenchContext } from '../lib/context.js';
import { copyFrom, copyLine } from '../lib/copy-in.js';
import { figure, perSecond, type Figure } from '../lib/figure.js';
import { runProcess } from '../lib/processes.js';
import { interleave, median, timeMs } from '../lib/stats.js';

/** The rows `db seed --scale` writes to voip.extensions, as COPY text (hashes computed here, untimed). */
function extensionRows(domainId: number, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) {
    const extension = String(SCALE_FIRST_EXTENSION + i);
    const { ha1, ha1b } = computeDigestHashes({ username: extension, domain: SCALE_DOMAIN, password: scalePassword(extension) });
    text += copyLine([domainId, extension, ha1, ha1b, `Scale ${extension}`, extension]);
  }
  return text;
}

/**
 * 5. `db seed --scale --extensions N` (whole process) into a fresh migrated database, against
 *    COPY of the same rows into voip.extensions of another fresh copy (the same statement-level
 *    triggers then write kamailio.subscriber in both). Figures in extensions per second.
 */
export async function benchSeed(ctx: BenchContext, template: string, runs: number, extensions = 100_000): Promise<Figure[]> {
  const count = async (database: string): Promise<number> =>
    Number((await ctx.query<{ n: string }>(database, 'SELECT count(*) AS n FROM kamailio.subscriber'))[0]!.n);
  let data: string | undefined;
  const result = await interleave(
    runs,
    async () => {
      const database = await ctx.createDatabase('bench_seed', template);
      const { ms } = await runProcess(
        process.execPath,
        [CLI, 'seed', '--scale', '--extensions', String(extensions), '--url', ctx.url(database)],
        { env: ctx.env, cwd: REPO },
      );
      if ((await count(database)) !== extensions)
        throw new Error(`db seed --scale left ${await count(database)} subscribers, expected ${extensions}`);
      return perSecond(extensions, ms);
    },
    async () => {
      const database = await ctx.createDatabase('bench_copy', template);
      const client = new pg.Client(ctx.config(database));
      await client.connect();
      try {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO voip.domains (name, description) VALUES ($1, 'bench: COPY floor') RETURNING id`,
          [SCALE_DOMAIN],
        );
        data ??= extensionRows(Number(rows[0]!.id), extensions);
        const ms = await timeMs(() =>
          copyFrom(
            client,
            'voip.extensions (domain_id, extension, ha1, ha1b, effective_caller_id_name, effective_caller_id_number)',
            data!,
          ),
        );
        if ((await count(database)) !== extensions)
          throw new Error(`COPY left ${await count(database)} subscribers, expected ${extensions}`);
        return perSecond(extensions, ms);
      } finally {
        await client.end();
      }
    },
  );
  return [
    figure({
      id: '5 seed-scale',
      what: `db seed --scale --extensions ${extensions} (whole process)`,
      unit: 'rows/s',
      value: median(result.measured),
      samples: result.measured,
      floorWhat: `COPY ${extensions} extensions (hashes ready)`,
      floor: median(result.floor),
      floorSamples: result.floor,
      target: { op: '>=', ratio: 0.3 },
    }),
  ];
}

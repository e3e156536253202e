import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { seedScale } from '../../src/voip/seed.js';
import { SCALE_DOMAIN, SCALE_FIRST_EXTENSION } from '../../src/voip/demo-data.js';
import { ensureKamailio } from '../../test/support/kamailio.js';
import { REPO, type BenchContext } from '../lib/context.js';
import { figure, type Figure } from '../lib/figure.js';
import { runProcess } from '../lib/processes.js';
import { median } from '../lib/stats.js';
import { PSQL } from './migrate.js';

export const PGBENCH = '/usr/bin/pgbench';
export const PGBENCH_DIR = path.join(REPO, 'bench/pgbench');

/** kamdbctl's STANDARD module scripts (5.6), `standard` first: it creates the version table. */
export const KAMAILIO_STANDARD_SCRIPTS = [
  'standard',
  'acc',
  'lcr',
  'domain',
  'group',
  'permissions',
  'registrar',
  'usrloc',
  'msilo',
  'alias_db',
  'uri_db',
  'speeddial',
  'avpops',
  'auth_db',
  'pdt',
  'dialog',
  'dispatcher',
  'dialplan',
  'topos',
] as const;

/** The hot queries, one pgbench script each, with what they stand for. */
export const KAMAILIO_SCRIPTS = [
  { file: 'auth-credentials.sql', what: 'auth_db credential lookup (username, domain)' },
  { file: 'usrloc-lookup.sql', what: 'usrloc db_mode 3 lookup (AoR contacts)' },
  { file: 'usrloc-register-dbonly.sql', what: 'usrloc db_mode 3 re-REGISTER (select + update by ruid)' },
  { file: 'usrloc-refresh-writeback.sql', what: 'usrloc db_mode 2 flush of a refresh (update by ruid)' },
  { file: 'usrloc-new-contact.sql', what: 'usrloc db_mode 2/3 new contact + delete by ruid' },
] as const;

export interface PgbenchOptions {
  seconds: number;
  clients: number;
  threads: number;
}

export interface KamailioTarget {
  database: string;
  /** Session options: voipdb's Kamailio tables live in schema kamailio (role kamailio finds them by its search_path). */
  pgOptions: string;
}

/** One pgbench run of a script of bench/pgbench (or one at an absolute path); returns its TPS (without the initial connection time). */
export async function pgbench(
  ctx: Pick<BenchContext, 'env'>,
  target: KamailioTarget,
  script: string,
  users: number,
  opts: PgbenchOptions,
  transactions?: number,
): Promise<number> {
  const args = [
    '-n',
    '-M',
    'simple',
    '-c',
    String(opts.clients),
    '-j',
    String(opts.threads),
    ...(transactions === undefined ? ['-T', String(opts.seconds)] : ['-t', String(transactions)]),
    '-f',
    path.resolve(PGBENCH_DIR, script),
    '-D',
    `first=${SCALE_FIRST_EXTENSION}`,
    '-D',
    `users=${users}`,
    '-D',
    `domain=${SCALE_DOMAIN}`,
    '-d',
    target.database,
  ];
  const { stdout, stderr } = await runProcess(PGBENCH, args, { env: { ...ctx.env, PGOPTIONS: target.pgOptions } });
  const failed = /number of failed transactions: (\d+)/.exec(stdout);
  if (failed && failed[1] !== '0') throw new Error(`pgbench ${script} on ${target.database}: ${failed[1]} failed transactions\n${stderr}`);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!tps) throw new Error(`pgbench ${script}: no tps in its output:\n${stdout}\n${stderr}`);
  return Number(tps[1]);
}

/**
 * The same 100k subscribers and 100k contacts in voipdb's kamailio schema (subscribers through
 * `db seed --scale`'s code, so through the voip.extensions triggers) and in a database built by
 * Kamailio 5.6.3's own scripts (rows copied over).
 */
export async function prepareKamailioData(
  ctx: Pick<BenchContext, 'env' | 'config' | 'createDatabase'>,
  template: string,
  users: number,
): Promise<{ voipdb: KamailioTarget; stock: KamailioTarget }> {
  const voipdb = await ctx.createDatabase('bench_kam_voipdb', template);
  const stock = await ctx.createDatabase('bench_kam_stock');

  const kamailio = await ensureKamailio();
  const scripts = KAMAILIO_STANDARD_SCRIPTS.flatMap((m) => ['-f', path.join(kamailio.postgresScriptsDir, `${m}-create.sql`)]);
  await runProcess(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...scripts, '-d', stock], { env: ctx.env });

  const contacts = await fs.readFile(path.join(REPO, 'bench/sql/contacts.sql'), 'utf8');
  const source = new pg.Client(ctx.config(voipdb));
  const sink = new pg.Client(ctx.config(stock));
  await source.connect();
  await sink.connect();
  try {
    const report = await seedScale(source, { extensions: users, cdrs: 0 });
    if (report.extensionsInserted !== users)
      throw new Error(`seedScale inserted ${report.extensionsInserted} extensions, expected ${users}`);
    const { rows } = await source.query<{ username: string; domain: string; password: string; ha1: string; ha1b: string }>(
      'SELECT username, domain, password, ha1, ha1b FROM kamailio.subscriber ORDER BY id',
    );
    if (rows.length !== users) throw new Error(`kamailio.subscriber holds ${rows.length} rows after seeding ${users} extensions`);
    await sink.query(
      `INSERT INTO subscriber (username, domain, password, ha1, ha1b)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
      [
        rows.map((r) => r.username),
        rows.map((r) => r.domain),
        rows.map((r) => r.password),
        rows.map((r) => r.ha1),
        rows.map((r) => r.ha1b),
      ],
    );
    await source.query('SET search_path = kamailio');
    await source.query(contacts, [SCALE_FIRST_EXTENSION, users]);
    await sink.query(contacts, [SCALE_FIRST_EXTENSION, users]);
    for (const client of [source, sink]) await client.query('VACUUM ANALYZE');
  } finally {
    await source.end();
    await sink.end();
  }
  return {
    voipdb: { database: voipdb, pgOptions: '-c search_path=kamailio' },
    stock: { database: stock, pgOptions: '' },
  };
}

/**
 * 3. Kamailio's hot queries with pgbench: TPS on voipdb's schema against the same queries and
 *    data on Kamailio's stock schema (target >= 0.95), and each against pgbench's SELECT 1.
 */
export async function benchKamailio(
  ctx: BenchContext,
  template: string,
  runs: number,
  opts: PgbenchOptions,
  users = 100_000,
): Promise<{ figures: Figure[]; voipdb: string }> {
  console.log(`[bench] 3: loading ${users} subscribers and contacts into voipdb and into Kamailio 5.6.3's schema`);
  const { voipdb, stock } = await prepareKamailioData(ctx, template, users);
  const warmUp = { ...opts, seconds: Math.max(1, Math.round(opts.seconds / 2)) };

  const select1: number[] = [];
  await pgbench(ctx, voipdb, 'select1.sql', users, warmUp);
  for (let i = 0; i < runs; i++) select1.push(await pgbench(ctx, voipdb, 'select1.sql', users, opts));
  const select1Tps = median(select1);

  const figures: Figure[] = [];
  for (const script of KAMAILIO_SCRIPTS) {
    console.log(`[bench] 3: ${script.file}`);
    // The write scripts leave dead rows, more of them where more transactions ran: start every
    // script from the same state on both sides.
    for (const target of [voipdb, stock])
      await runProcess(PSQL, ['-X', '-q', '-c', 'VACUUM ANALYZE location', '-d', target.database], {
        env: { ...ctx.env, PGOPTIONS: target.pgOptions },
      });
    await pgbench(ctx, voipdb, script.file, users, warmUp);
    await pgbench(ctx, stock, script.file, users, warmUp);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      ours.push(await pgbench(ctx, voipdb, script.file, users, opts));
      theirs.push(await pgbench(ctx, stock, script.file, users, opts));
    }
    const stockTps = median(theirs);
    figures.push(
      figure({
        id: `3 ${script.file.replace('.sql', '')}`,
        what: script.what,
        unit: 'tps',
        value: median(ours),
        samples: ours,
        floorWhat: 'same on Kamailio 5.6.3 schema',
        floor: stockTps,
        floorSamples: theirs,
        target: { op: '>=', ratio: 0.95 },
        note: `vs pgbench SELECT 1 (${Math.round(select1Tps)} tps): voipdb ${(median(ours) / select1Tps).toFixed(2)}, stock ${(stockTps / select1Tps).toFixed(2)}`,
      }),
    );
  }
  figures.push(
    figure({
      id: '3 select1',
      what: 'pgbench SELECT 1 (reference)',
      unit: 'tps',
      value: select1Tps,
      samples: select1,
      floorWhat: '-',
      floor: null,
      floorSamples: [],
      target: null,
    }),
  );
  return { figures, voipdb: voipdb.database };
}

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CLI, REPO, startBench, type BenchContext } from './lib/context.js';
import type { Figure } from './lib/figure.js';
import { describeMachine } from './lib/machine.js';
import { runProcess } from './lib/processes.js';
import { renderTable } from './lib/table.js';
import { benchCheck, benchTests, hasCheckCommand } from './sections/check.js';
import { benchClient } from './sections/client.js';
import { benchDirectoryCache, benchDirectoryStaleness } from './sections/directory-cache.js';
import { benchKamailio } from './sections/kamailio.js';
import { benchPackage } from './sections/package.js';
import { benchSeed } from './sections/seed.js';
import { benchMigrate, prepareTemplate } from './sections/migrate.js';
import { benchAdopt } from './sections/adopt.js';
import { benchBackup } from './sections/backup.js';
import { benchDrill } from './sections/drill.js';

const USAGE = `npm run bench [-- --pg15] [--with-tests] [--runs <n>] [--drill-runs <n>] [--only 1,2,3,4,5,6,7,8,9,10] [--no-write]
  --pg15        run on Debian's PostgreSQL 15 instead of the embedded 18
  --with-tests  also time \`npm test\` (minutes)
  --runs <n>    measured runs per figure (default 5; pgbench: at most 3), after one warm-up each
  --pgbench-seconds <s>  length of each pgbench run (default 5; -c 4 -j 2)
  --drill-runs <n>  runs of each failover drill scenario (default 10; section 10, root only, about 35 s each)
  --only <list> run only these sections (development); results.json is then not written
  --no-write    do not write bench/results.json`;

const { values } = parseArgs({
  options: {
    pg15: { type: 'boolean', default: false },
    'with-tests': { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    'pgbench-seconds': { type: 'string', default: '5' },
    'drill-runs': { type: 'string', default: '10' },
    only: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number >= 1\n${USAGE}`);
const pgbenchSeconds = Number(values['pgbench-seconds']);
if (!Number.isInteger(pgbenchSeconds) || pgbenchSeconds < 1) throw new Error(`--pgbench-seconds must be a whole number >= 1\n${USAGE}`);
const drillRuns = Number(values['drill-runs']);
if (!Number.isInteger(drillRuns) || drillRuns < 1) throw new Error(`--drill-runs must be a whole number >= 1\n${USAGE}`);
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
const wanted = (section: string): boolean => !only || only.has(section);

const SERVER_SETTINGS =
  'throwaway cluster as the test harness starts it: fsync=off, synchronous_commit=off, full_page_writes=off, max_connections=200, loopback TCP, SCRAM';

async function versions(ctx: BenchContext): Promise<{ postgres: string; psql: string; pgbench: string }> {
  const [row] = await ctx.query<{ server_version: string }>('postgres', 'SHOW server_version');
  const psql = (await runProcess('/usr/bin/psql', ['--version'])).stdout.trim();
  const pgbench = (await runProcess('/usr/bin/pgbench', ['--version'])).stdout.trim();
  return { postgres: row!.server_version, psql, pgbench };
}

async function main(): Promise<void> {
  const serverName = values.pg15 ? 'pg15' : 'pg18';
  console.log(`[bench] starting a throwaway PostgreSQL (${serverName === 'pg18' ? 'embedded 18' : "Debian's 15"})`);
  const ctx = await startBench(serverName);
  const stopOnSignal = (): void => {
    void ctx.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const figures: Figure[] = [];
  const started = Date.now();
  // Other work on the machine skews every figure; the load average says how much there was.
  const loadBefore = os.loadavg()[0]!;
  try {
    const machine = describeMachine(await versions(ctx));
    console.log(`[bench] PostgreSQL ${machine.postgres} on 127.0.0.1:${ctx.server.port}`);
    const template = await prepareTemplate(ctx);
    if (wanted('1') || wanted('2')) {
      console.log('[bench] 1-2: db migrate');
      figures.push(...(await benchMigrate(ctx, template, runs)).filter((f) => wanted(f.id[0]!)));
    }
    let kamailioDb: string | undefined;
    if (wanted('3')) {
      const pgbenchRuns = Math.min(runs, 3);
      const result = await benchKamailio(ctx, template, pgbenchRuns, { seconds: pgbenchSeconds, clients: 4, threads: 2 });
      figures.push(...result.figures);
      kamailioDb = result.voipdb;
    }
    if (wanted('4')) {
      console.log('[bench] 4: client: directory lookup, CDR ingest');
      if (!kamailioDb) {
        kamailioDb = await ctx.createDatabase('bench_client', template);
        await runProcess(process.execPath, [CLI, 'seed', '--scale', '--extensions', '100000', '--url', ctx.url(kamailioDb)], {
          env: ctx.env,
          cwd: REPO,
        });
      }
      figures.push(...(await benchClient(ctx, kamailioDb, runs)));
      console.log('[bench] 4: directory cache: cached lookups, scanner flood');
      figures.push(...(await benchDirectoryCache(ctx, kamailioDb, runs)));
      console.log('[bench] 4: directory cache: staleness on a primary + hot standby pair');
      figures.push(...(await benchDirectoryStaleness()));
    }
    if (wanted('5')) {
      console.log('[bench] 5: db seed --scale');
      figures.push(...(await benchSeed(ctx, template, Math.min(runs, 3))));
    }
    if (wanted('7')) {
      console.log('[bench] 7: db adopt of a kamdbctl database');
      figures.push(...(await benchAdopt(ctx, Math.min(runs, 3))));
    }
    if (wanted('6')) {
      if (await hasCheckCommand()) {
        console.log('[bench] 6: db check');
        figures.push(...(await benchCheck(ctx, template, runs)));
      } else {
        console.log('[bench] 6: the built CLI has no `db check` yet: not measured');
      }
      if (values['with-tests']) {
        console.log('[bench] 6: npm test (minutes)');
        figures.push(...(await benchTests()));
      }
    }

    if (wanted('8')) {
      console.log('[bench] 7: the package as a service installs it (npm pack, npm install --omit=dev)');
      figures.push(...(await benchPackage(Math.max(runs, 10))));
    }

    if (wanted('9')) {
      console.log(
        "[bench] 9: backups: CDR ingest with archiving on / off, point-in-time restore vs a copy (Debian's PostgreSQL 15 + pgBackRest)",
      );
      figures.push(...(await benchBackup(runs)));
    }

    // The failover drill: every scenario --drill-runs times (about 35 s each, so some 35 minutes at the default 10).
    if (wanted('10')) {
      console.log(`[bench] 10: failover drill, each scenario ${drillRuns} times (network namespaces, Keepalived, Kamailio, sipp)`);
      figures.push(...(await benchDrill(drillRuns)));
    }

    const load = { atStart: Math.round(loadBefore * 100) / 100, atEnd: Math.round(os.loadavg()[0]! * 100) / 100 };
    const table = renderTable(machine, `${SERVER_SETTINGS}\nload average (1 min): ${load.atStart} at start, ${load.atEnd} at end`, figures);
    console.log(`\n${table}\n`);
    console.log(`[bench] done in ${Math.round((Date.now() - started) / 1000)} s`);
    if (!only && !values['no-write']) {
      const file = path.join(REPO, 'bench/results.json');
      await fs.writeFile(
        file,
        `${JSON.stringify(
          {
            date: new Date().toISOString(),
            server: serverName,
            serverSettings: SERVER_SETTINGS,
            runs,
            pgbenchSeconds,
            loadAverage: load,
            durationSeconds: Math.round((Date.now() - started) / 1000),
            machine,
            figures,
          },
          null,
          2,
        )}\n`,
      );
      console.log(`[bench] wrote ${path.relative(process.cwd(), file)}`);
    }
  } finally {
    await ctx.stop();
  }
}

await main();

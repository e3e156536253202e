import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createDb, ingestCdrs } from '../../dist/client/index.js';
import { checkRestored, restoreBefore } from '../../src/backup/restore.js';
import { freePort, makeServerDir, runAsServerUser, serverOsUser, stopCluster } from '../../src/local/cluster.js';
import { createCdrPartition } from '../../src/voip/partitions.js';
import { applyAllMigrations } from '../../test/support/migrate.js';
import {
  backupTopologyYaml,
  mustPgbackrest,
  prepareBackupRun,
  renderedArchiveSettings,
  writeRenderedPgbackrestConf,
} from '../../test/support/pgbackrest.js';
import { type LocalServer, startLocalServer } from '../../test/support/servers.js';
import { figure, type Figure, perSecond } from '../lib/figure.js';
import { interleave, median, timeMs } from '../lib/stats.js';
import { makeCdrs } from './client.js';
import pg from 'pg';

/** Rows per measured ingest: about 2 WAL segments, so that archive-push runs during the batch. */
const BATCH = 20_000;

/**
 * 9. Backups with pgBackRest, on Debian's PostgreSQL 15 (Debian 12's pgBackRest 2.45 cannot
 *    read 18): two servers started alike, one archiving with the rendered archive_command, one
 *    with archive_mode = off; ingestCdrs batches into each, alternately (archive-push's cost on
 *    ingest). Then the archiving server's data set is backed up and restored to a point in time
 *    with `db backup restore`'s code (restore + replay + promotion checked), against a plain `cp -a`
 *    of the same data directory.
 */
export async function benchBackup(runs: number): Promise<Figure[]> {
  const run = await prepareBackupRun('bench');
  const started: LocalServer[] = [];
  try {
    const port = await freePort();
    const dataDir = path.join(run.root, 'pg15', 'data');
    const nodes = [{ name: 'node1', role: 'primary' as const, dataDir, port }];
    const yaml = backupTopologyYaml(run, nodes);
    await writeRenderedPgbackrestConf(run, yaml, 'node1', nodes);
    const archiving = await startLocalServer('pg15', run.root, {
      ...renderedArchiveSettings(yaml, 'node1'),
      unix_socket_directories: run.socketDir,
      full_page_writes: 'on',
      port: String(port),
    });
    started.push(archiving);
    const plainRoot = path.join(run.root, 'plain');
    await fs.mkdir(plainRoot, { mode: 0o755 });
    const plain = await startLocalServer('pg15', plainRoot, { archive_mode: 'off', full_page_writes: 'on' });
    started.push(plain);
    const config = (s: LocalServer, p: number) => ({
      host: s.host,
      port: p,
      user: 'postgres',
      password: s.password,
      database: 'voipdb',
      applicationName: 'voipdb-bench',
    });
    const targets = [
      { server: archiving, port },
      { server: plain, port: plain.port },
    ];
    for (const t of targets) {
      const admin = new pg.Client({ ...config(t.server, t.port), database: 'postgres' });
      await admin.connect();
      await admin.query('CREATE DATABASE voipdb');
      await admin.end();
      await applyAllMigrations(config(t.server, t.port));
      const c = new pg.Client(config(t.server, t.port));
      await c.connect();
      await createCdrPartition(c, new Date());
      await c.end();
    }
    await mustPgbackrest(run, ['stanza-create'], archiving.password);

    const dbArchiving = createDb(config(archiving, port), { maxConnections: 2, applicationName: 'voipdb-bench' });
    const dbPlain = createDb(config(plain, plain.port), { maxConnections: 2, applicationName: 'voipdb-bench' });
    const ingestOnce = async (db: typeof dbPlain): Promise<number> => {
      const cdrs = makeCdrs(BATCH);
      const ms = await timeMs(() => ingestCdrs(db, cdrs));
      return perSecond(BATCH, ms);
    };
    const ingest = await interleave(
      runs,
      () => ingestOnce(dbArchiving),
      () => ingestOnce(dbPlain),
    );
    await dbArchiving.destroy();
    await dbPlain.destroy();

    // The drill's data set: what the ingest wrote, a full backup, then a marker commit after the target.
    await mustPgbackrest(run, ['--type=full', 'backup'], archiving.password);
    const q = async (sql: string) => {
      const c = new pg.Client(config(archiving, port));
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    // pgBackRest keeps a backup's stop time in whole seconds: the target must be past the next second.
    await new Promise((r) => setTimeout(r, 1100));
    const before = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await q('CREATE TABLE after_target (at timestamptz DEFAULT now()); INSERT INTO after_target DEFAULT VALUES');
    await mustPgbackrest(run, ['check'], archiving.password);
    const [{ bytes }] = (await q("SELECT pg_database_size('voipdb')::text AS bytes")) as [{ bytes: string }];

    const osUser = serverOsUser();
    let n = 0;
    const restoreOnce = async (): Promise<number> => {
      const target = path.join(run.root, `restore-${n++}`);
      const ms = await timeMs(async () => {
        await restoreBefore({ stanza: run.stanza, configFile: run.configFile, before, dataDir: target, osUser });
        await checkRestored(target, osUser, archiving.spec.binDir);
      });
      await stopCluster(target);
      await fs.rm(target, { recursive: true, force: true });
      return ms;
    };
    // cp runs as the server's OS user (as a copy of a data directory would), into a folder it owns.
    const copies = path.join(run.root, 'copies');
    await makeServerDir(copies, osUser, 0o755);
    const copyOnce = async (): Promise<number> => {
      const target = path.join(copies, `copy-${n++}`);
      const ms = await timeMs(async () => {
        const r = await runAsServerUser('cp', ['-a', dataDir, target], osUser);
        if (r.code !== 0) throw new Error(`cp -a failed: ${r.output}`);
      });
      await fs.rm(target, { recursive: true, force: true });
      return ms;
    };
    const restore = await interleave(Math.min(runs, 3), restoreOnce, copyOnce);
    const mb = (Number(bytes) / 1024 / 1024).toFixed(0);
    return [
      figure({
        id: '9 cdr-ingest-archiving',
        what: `ingestCdrs, ${BATCH} new CDRs, archive_mode = on with pgbackrest archive-push (PG 15)`,
        unit: 'rows/s',
        value: median(ingest.measured),
        samples: ingest.measured,
        floorWhat: 'the same into a PG 15 with archive_mode = off',
        floor: median(ingest.floor),
        floorSamples: ingest.floor,
        target: { op: '>=', ratio: 0.8 },
      }),
      figure({
        id: '9 restore-pitr',
        what: `db backup restore's code: pgBackRest restore to a time + replay + promotion checked (voipdb ${mb} MB)`,
        unit: 'ms',
        value: median(restore.measured),
        samples: restore.measured,
        floorWhat: 'cp -a of the same data directory',
        floor: median(restore.floor),
        floorSamples: restore.floor,
        target: { op: '<=', ratio: 5 },
      }),
    ];
  } finally {
    for (const s of started) await stopCluster(s.spec.dataDir);
    await fs.rm(run.root, { recursive: true, force: true });
  }
}

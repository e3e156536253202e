import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestCdrs, kyselyOnConnection } from '../../src/client/index.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { freePort, stopCluster } from '../../src/local/cluster.js';
import { createCdrPartition } from '../../src/voip/partitions.js';
import { query } from '../support/database.js';
import { applyAllMigrations } from '../support/migrate.js';
import {
  type BackupRun,
  backupTopologyYaml,
  mustPgbackrest,
  prepareBackupRun,
  restoreBefore,
  restoreTargetNow,
  startRestoredCopy,
  renderedArchiveSettings,
  writeRenderedPgbackrestConf,
} from '../support/pgbackrest.js';
import { type LocalServer, startLocalServer } from '../support/servers.js';
import { cdrRow } from '../support/cdr.js';

/**
 * The recovery drill on Debian's PostgreSQL 15 and pgBackRest, configured as `db config render`
 * renders it: stanza, full backup, CDRs of two months written after it (so they come back from
 * the archived WAL alone), a bad DELETE of one month, then `db backup restore --before` the
 * DELETE into a new directory: every CDR is back, by uuid.
 */
describe('point-in-time recovery with pgBackRest (pg15)', () => {
  let run: BackupRun;
  let server: LocalServer;
  let db: ConnectionConfig;
  const restoredDir = (): string => path.join(run.root, 'restored');

  const month = (offset: number, minutes: number): Date => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 2, 0, minutes));
  };

  beforeAll(async () => {
    run = await prepareBackupRun('pitr');
    // The data directory startLocalServer will use: the topology names it as pgBackRest's pg1-path.
    const port = await freePort();
    const dataDir = path.join(run.root, 'pg15', 'data');
    const yaml = backupTopologyYaml(run, [{ name: 'node1', role: 'primary', dataDir, port }]);
    await writeRenderedPgbackrestConf(run, yaml, 'node1', [{ name: 'node1', role: 'primary', dataDir, port }]);
    server = await startLocalServer('pg15', run.root, {
      ...renderedArchiveSettings(yaml, 'node1'),
      unix_socket_directories: run.socketDir,
      full_page_writes: 'on',
      port: String(port),
    });
    expect(server.spec.dataDir).toBe(dataDir);
    db = {
      host: server.host,
      port, // the topology's port: the -c port setting wins over startLocalServer's own
      user: 'postgres',
      password: server.password,
      database: 'voipdb',
      applicationName: 'voipdb-test',
    };
    await query({ ...db, database: 'postgres' }, 'CREATE DATABASE voipdb');
    await applyAllMigrations(db);
  });
  afterAll(async () => {
    if (server) await stopCluster(server.spec.dataDir);
    if (run) {
      await stopCluster(restoredDir());
      await fs.rm(run.root, { recursive: true, force: true });
    }
  });

  it('restores every CDR a bad DELETE removed, by uuid, to just before the DELETE', async () => {
    const settings = await query<{ name: string; setting: string }>(
      db,
      "SELECT name, setting FROM pg_settings WHERE name IN ('archive_mode', 'archive_command') ORDER BY name",
    );
    expect(settings.map((s) => s.setting)).toEqual([`pgbackrest --config=${run.configFile} --stanza=${run.stanza} archive-push %p`, 'on']);

    await mustPgbackrest(run, ['stanza-create'], server.password);
    await mustPgbackrest(run, ['check'], server.password);
    await mustPgbackrest(run, ['--type=full', 'backup'], server.password);
    // pgBackRest keeps a backup's stop time in whole seconds: a target must be past the next second.
    await new Promise((r) => setTimeout(r, 1100));

    // Two months of CDRs, written after the backup.
    const client = new pg.Client(db);
    await client.connect();
    const written: string[] = [];
    try {
      for (const offset of [-1, 0]) await createCdrPartition(client, month(offset, 0));
      const k = kyselyOnConnection(client);
      for (const offset of [-1, 0]) {
        const rows = Array.from({ length: 500 }, (_, i) => cdrRow(month(offset, i)));
        await ingestCdrs(k, rows);
        written.push(...rows.map((r) => r.uuid));
      }
    } finally {
      await client.end();
    }
    const before = await restoreTargetNow(db);
    await new Promise((r) => setTimeout(r, 50));
    // The mistake: last month's CDRs deleted (a WHERE that was meant for one customer).
    const lastMonth = month(-1, 0);
    const deleted = await query<{ n: string }>(
      db,
      "WITH d AS (DELETE FROM voip.cdr WHERE start_stamp >= $1 AND start_stamp < $1::timestamptz + interval '1 month' RETURNING 1) SELECT count(*)::text AS n FROM d",
      [lastMonth],
    );
    expect(deleted[0]!.n).toBe('500');
    // pgbackrest check switches WAL and waits until the segment with the DELETE is in the repository.
    await mustPgbackrest(run, ['check'], server.password);

    const restored = await restoreBefore(run, before, restoredDir(), '--bin-dir', server.spec.binDir);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`RESTORED ${restoredDir()}`);
    expect(restored.stdout).toMatch(/checked: recovery stopping before commit of transaction \d+/);

    // The restored copy, started on its own port: the CDRs by uuid.
    const copyPort = await startRestoredCopy(run, server.spec, restoredDir());
    const back = await query<{ uuid: string }>({ ...db, port: copyPort }, 'SELECT uuid::text FROM voip.cdr ORDER BY uuid');
    expect(back.map((r) => r.uuid)).toEqual([...written].sort());
    // The running cluster was not touched: the DELETE is still there.
    expect((await query<{ n: string }>(db, 'SELECT count(*)::text AS n FROM voip.cdr'))[0]!.n).toBe('500');
  });
});

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/doctor/severity.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { freePort, stopCluster } from '../../src/local/cluster.js';
import { runCli } from '../support/cli.js';
import { configUrl, query } from '../support/database.js';
import {
  type BackupRun,
  backupTopologyYaml,
  mustPgbackrest,
  pgbackrestEnv,
  prepareBackupRun,
  renderedArchiveSettings,
  writeRenderedPgbackrestConf,
} from '../support/pgbackrest.js';
import { type LocalServer, startLocalServer } from '../support/servers.js';

/**
 * `db doctor`'s WAL safety on Debian's PostgreSQL 15, as an operator meets it: the platform's old
 * settings (archive_mode = on, no command) are CRITICAL; an archive_command that exits 1 is
 * CRITICAL as soon as it has failed once; the rendered pgBackRest command with a backup is OK.
 */
describe('db doctor: WAL archiving and backups (pg15)', () => {
  let run: BackupRun;
  let server: LocalServer;
  let db: ConnectionConfig;
  let archiveCommand: string;

  const doctor = async (): Promise<{ code: number | null; checks: Record<string, Check> }> => {
    const r = await runCli(['doctor', '--json', '--url', configUrl(db)], {
      env: pgbackrestEnv(run),
    });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { checks: Check[] };
    return { code: r.code, checks: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
  };
  const reload = async (command: string): Promise<void> => {
    // ALTER SYSTEM takes no bind parameters: the command goes through format(%L).
    const [{ sql }] = (await query<{ sql: string }>(db, 'SELECT format($$ALTER SYSTEM SET archive_command = %L$$, $1::text) AS sql', [
      command,
    ])) as [{ sql: string }];
    await query(db, sql);
    await query(db, 'SELECT pg_reload_conf()');
  };
  const archiver = async (): Promise<{ failing: boolean; archived: string | null }> =>
    (
      await query<{ failing: boolean; archived: string | null }>(
        db,
        'SELECT coalesce(last_failed_time > last_archived_time, last_failed_time IS NOT NULL) AS failing, last_archived_wal AS archived FROM pg_stat_archiver',
      )
    )[0]!;
  const until = async (what: string, done: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const switchWal = async (): Promise<void> => {
    await query(db, 'CREATE TABLE IF NOT EXISTS wal_marker (at timestamptz); INSERT INTO wal_marker VALUES (now())');
    await query(db, 'SELECT pg_switch_wal()');
  };

  beforeAll(async () => {
    run = await prepareBackupRun('doctor');
    const port = await freePort();
    const dataDir = path.join(run.root, 'pg15', 'data');
    const nodes = [{ name: 'node1', role: 'primary' as const, dataDir, port }];
    const yaml = backupTopologyYaml(run, nodes);
    await writeRenderedPgbackrestConf(run, yaml, 'node1', nodes);
    archiveCommand = renderedArchiveSettings(yaml, 'node1').archive_command!.replace(/^'|'$/g, '');
    // The platform's settings as they were: archive_mode = on and nothing else.
    server = await startLocalServer('pg15', run.root, { archive_mode: 'on', unix_socket_directories: run.socketDir, port: String(port) });
    db = { host: server.host, port, user: 'postgres', password: server.password, database: 'postgres', applicationName: 'voipdb-test' };
  });
  afterAll(async () => {
    if (server) await stopCluster(server.spec.dataDir);
    if (run) await fs.rm(run.root, { recursive: true, force: true });
  });

  it('archive_mode = on without archive_command is CRITICAL, and WAL waits as .ready', async () => {
    await switchWal();
    const { code, checks } = await doctor();
    expect(code).toBe(2);
    expect(checks['setting.archive_mode']).toMatchObject({
      severity: 'critical',
      summary: expect.stringContaining('until the disk is full'),
    });
    expect((checks['archive.ready']!.data as { ready: number }).ready).toBeGreaterThanOrEqual(1);
    // Not pgBackRest's command: the backup checks are not run at all.
    expect(checks['backup.age']).toBeUndefined();
  });

  it('an archive_command that exits 1 is CRITICAL as soon as it has failed once', async () => {
    await reload('exit 1');
    await switchWal();
    await until('the archiver has failed', async () => (await archiver()).failing);
    const { code, checks } = await doctor();
    expect(code).toBe(2);
    expect(checks['setting.archive_mode']!.severity).toBe('ok');
    expect(checks['archive.archiver']).toMatchObject({
      severity: 'critical',
      summary: expect.stringContaining('archive_command is failing'),
    });
  });

  it('after the fix (the rendered pgBackRest command, a stanza and a backup) it is OK again', async () => {
    await mustPgbackrest(run, ['stanza-create'], server.password);
    await reload(archiveCommand);
    await switchWal();
    await until('the archiver has caught up', async () => !(await archiver()).failing);
    await mustPgbackrest(run, ['--type=full', 'backup'], server.password);
    const { checks } = await doctor();
    const mine = ['setting.archive_mode', 'archive.archiver', 'archive.ready', 'archive.pg_wal_size', 'pgbackrest.version', 'backup.age'];
    expect(Object.fromEntries(mine.map((id) => [id, checks[id]?.severity]))).toEqual(Object.fromEntries(mine.map((id) => [id, 'ok'])));
    expect(checks['pgbackrest.version']!.summary).toMatch(/^pgBackRest 2\.\d+/);
    expect(checks['backup.age']!.summary).toMatch(/^newest full backup \S+F finished 0\.\d h ago$/);
  });
});

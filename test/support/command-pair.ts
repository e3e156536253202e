import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { type ClusterSpec, freePort, stopCluster } from '../../src/local/cluster.js';
import { configUrl, query } from './database.js';
import { migrateAndSeedByCli } from './migrate.js';
import { makeRunDir, startLocalServer } from './servers.js';
import { prepareReplicationSource, REPLICATION_SETTINGS, REPLICATOR_ROLE, specBeside, writePassfile } from './standby.js';

/**
 * The start of the pair an operator builds with the commands, for the tests that then drive
 * `db standby clone`, `db promote` and `db rejoin` themselves: node1 a running primary whose
 * voipdb database `db migrate` and `db seed` made, and node2's place beside it (its folder and
 * spec; no server yet). Both on 127.0.0.1, each on its own port.
 */
export interface CommandNode {
  name: 'node1' | 'node2';
  spec: ClusterSpec;
  /** The superuser's; node2's is node1's, as the clone carries node1's roles. */
  password: string;
  /** The superuser on this node, in database voipdb unless another is named. */
  config(database?: string): ConnectionConfig;
  /** config() as a URL, for the commands' --url. */
  url(): string;
}

export interface CommandPair {
  root: string;
  node1: CommandNode;
  node2: CommandNode;
  /** One line for the replicator on loopback, any port: it serves either direction, as on the platform. */
  passfile: string;
  replicatorPassword: string;
  /** Stops whichever node runs and removes the folders. */
  close(): Promise<void>;
}

function commandNode(name: CommandNode['name'], spec: ClusterSpec, password: string): CommandNode {
  const config = (database = 'voipdb'): ConnectionConfig => ({
    host: '127.0.0.1',
    port: spec.port,
    user: 'postgres',
    password,
    database,
    applicationName: 'voipdb-test',
  });
  return { name, spec, password, config, url: () => configUrl(config()) };
}

export async function startCommandPrimary(
  kind: 'pg18' | 'pg15',
  label: string,
  options: { migrationsDir?: string } = {},
): Promise<CommandPair> {
  const root = await makeRunDir(`${label}-${kind}`);
  let node1: CommandNode | undefined;
  const close = async (): Promise<void> => {
    // node2's server, when the test made one, first: it would only reconnect to a stopping node1.
    await stopCluster(path.join(root, 'node2', 'data'));
    if (node1) await stopCluster(node1.spec.dataDir);
    await fs.rm(root, { recursive: true, force: true });
  };
  try {
    // pg_rewind needs full_page_writes, which the other tests' servers turn off for speed.
    const primary = await startLocalServer(kind, root, { ...REPLICATION_SETTINGS, full_page_writes: 'on' });
    node1 = commandNode('node1', primary.spec, primary.password);
    const replicatorPassword = randomBytes(12).toString('hex');
    await prepareReplicationSource(node1.config('postgres'), replicatorPassword);
    const passfile = path.join(root, 'replicator.pgpass');
    await writePassfile(passfile, `127.0.0.1:*:replication:${REPLICATOR_ROLE}:${replicatorPassword}`);
    await query(node1.config('postgres'), 'CREATE DATABASE voipdb');
    await migrateAndSeedByCli(node1.url(), replicatorPassword, options.migrationsDir);
    const node2 = commandNode(
      'node2',
      await specBeside(primary.spec, path.join(root, 'node2'), { port: await freePort() }),
      primary.password,
    );
    return { root, node1, node2, passfile, replicatorPassword, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `db standby clone` of node2 from node1, as the operator types it. */
export function cloneNode2Args(pair: CommandPair): string[] {
  return ['standby', 'clone', '--primary-url', pair.node1.url(), '--data-dir', pair.node2.spec.dataDir, '--passfile', pair.passfile];
}

/** `db rejoin` of `from` (stopped) as a standby of `to`, as the operator types it. */
export function rejoinArgs(pair: CommandPair, from: CommandNode, to: CommandNode): string[] {
  return ['rejoin', '--url', from.url(), '--primary-url', to.url(), '--data-dir', from.spec.dataDir, '--passfile', pair.passfile];
}

import os from 'node:os';
import type pg from 'pg';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { withConnection } from '../database/connect.js';
import { UsageError } from '../errors.js';
import { caFileOf, type Topology, type TopologyNode } from '../topology/types.js';
import { readNodeState } from './node-state.js';
import type { Check } from './severity.js';
import { evaluatePair } from './split-brain.js';

/** The other node(s) doctor asks, each with how to reach its database. */
export interface PeerTarget {
  name: string;
  config: ConnectionConfig;
}

export interface PeerCheckOptions {
  /** This node's name in the messages. */
  self: string;
  peers: PeerTarget[];
}

/**
 * How long asking a peer may take. Doctor runs as a monitoring check (and from Keepalived's
 * health script, every second): a peer that does not answer within 3 s counts as unreachable.
 */
export const PEER_CONNECT_TIMEOUT_MS = 3_000;

export async function checkPeers(client: pg.ClientBase, options: PeerCheckOptions): Promise<Check[]> {
  const state = await readNodeState(client);
  const checks: Check[] = [];
  for (const peer of options.peers) {
    const where = describeConnection(peer.config);
    try {
      const other = await withConnection({ connectTimeoutMs: PEER_CONNECT_TIMEOUT_MS, ...peer.config }, readNodeState);
      checks.push(...evaluatePair({ name: options.self, state }, { name: peer.name, where, state: other }));
    } catch (error) {
      checks.push(...evaluatePair({ name: options.self, state }, { name: peer.name, where, error: (error as Error).message }));
    }
  }
  return checks;
}

/**
 * Which topology node this is: --node, else the node whose address doctor connected to, else
 * the node whose address is on one of this machine's interfaces.
 */
export function selfNode(topology: Topology, connection: ConnectionConfig, node?: string): TopologyNode {
  if (node !== undefined) {
    const found = topology.nodes.find((n) => n.name === node);
    if (!found) throw new UsageError(`the topology has no node ${node}`, `use one of: ${topology.nodes.map((n) => n.name).join(', ')}`);
    return found;
  }
  const byHost = topology.nodes.find((n) => n.address === connection.host);
  if (byHost) return byHost;
  const local = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((i) => i?.address),
  );
  const mine = topology.nodes.filter((n) => local.has(n.address));
  if (mine.length === 1) return mine[0]!;
  throw new UsageError(
    `cannot tell which node of the topology this is (${connection.host} is no node's address${mine.length > 1 ? `; this machine has the addresses of ${mine.map((n) => n.name).join(' and ')}` : ''})`,
    'pass --node <name> (e.g. node1)',
  );
}

/**
 * The peer's database as this node reaches it: the same login and database as doctor's own
 * connection, at the peer's address and the topology's port, with the topology's TLS settings
 * for connections between the nodes (this node's CA file).
 */
export function peerConnection(topology: Topology, self: TopologyNode, peer: TopologyNode, connection: ConnectionConfig): ConnectionConfig {
  const { hosts: _hosts, targetSessionAttrs: _tsa, loadBalanceHosts: _lb, ...rest } = connection;
  const tls = topology.database.tls;
  const rootCert = caFileOf(topology, self);
  return {
    ...rest,
    host: peer.address,
    port: topology.database.port,
    ...(tls ? { sslmode: tls.sslmode, tls: { ...connection.tls, ...(rootCert ? { rootCert } : {}) } } : {}),
  };
}

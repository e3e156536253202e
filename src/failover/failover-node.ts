import { type FailoverNodeSettings, type FailoverSettings, failoverNode, resolveFailover } from '../topology/failover.js';
import type { Topology, TopologyNode } from '../topology/types.js';
import { FailoverSettingMissingError, FailoverTopologyError } from './errors.js';

/** One node's view of the pair: itself, the other node, and the failover settings that apply to it. */
export interface FailoverNode {
  topology: Topology;
  self: TopologyNode;
  peer: TopologyNode;
  settings: FailoverSettings;
  own: FailoverNodeSettings;
}

export function failoverNodeOf(topology: Topology, name: string): FailoverNode {
  const self = topology.nodes.find((n) => n.name === name);
  if (!self)
    throw new FailoverTopologyError(`the topology has no node ${name}`, `use one of: ${topology.nodes.map((n) => n.name).join(', ')}`);
  const others = topology.nodes.filter((n) => n.name !== name);
  if (others.length !== 1) {
    throw new FailoverTopologyError(
      `automatic failover needs exactly two nodes; the topology has ${topology.nodes.length}`,
      'list the two nodes of the pair in `nodes:`',
    );
  }
  const settings = resolveFailover(topology.failover);
  return { topology, self, peer: others[0]!, settings, own: failoverNode(settings, self) };
}

/** The node's data directory, which the guard and the fence need. */
export function dataDirOf(node: FailoverNode, verb: string): string {
  if (!node.own.dataDir) throw new FailoverSettingMissingError(node.self.name, 'dataDir', verb);
  return node.own.dataDir;
}

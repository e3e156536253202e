import { ExitCode, failure } from '../errors.js';

/** The topology file (nodes, VIP) and the nodes it names (exit 2). */

/** The topology file (nodes, VIP) is unreadable or wrong; every problem is listed at once. */
export class TopologyInvalidError extends failure('TOPOLOGY_INVALID', ExitCode.usage) {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      problems.length === 1 ? `${source}: ${problems[0]}` : `${source}: ${problems.length} problems in the topology`,
      'fix the topology file (see examples/topology.yaml): exactly one primary, distinct names and IPv4/IPv6 addresses',
    );
  }
  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${p}`) : [];
  }
}

/** `db config render --node X` named a node the topology does not have. */
export class TopologyNodeUnknownError extends failure('TOPOLOGY_NODE_UNKNOWN', ExitCode.usage) {
  constructor(
    readonly node: string,
    known: string[],
  ) {
    super(`the topology has no node ${JSON.stringify(node)}`, `use one of: ${known.join(', ')}`);
  }
}

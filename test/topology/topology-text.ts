import { expect } from 'vitest';
import { TopologyInvalidError } from '../../src/topology/errors.js';
import { parseTopology } from '../../src/topology/index.js';

/** The smallest topology the parser accepts: a VIP and the two nodes; every other setting its default. */
export const MINIMAL = `
vip: { address: 172.16.91.100 }
nodes:
  - { name: node1, address: 172.16.91.101, role: primary }
  - { name: node2, address: 172.16.91.102, role: standby }
`;

/** The problems parseTopology lists for `text`, which it must refuse as a usage error (exit 2). */
export function problemsOf(text: string): string[] {
  try {
    parseTopology(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TopologyInvalidError);
    expect((error as TopologyInvalidError).exitCode).toBe(2);
    return (error as TopologyInvalidError).problems;
  }
  throw new Error('expected the topology to be refused');
}

import type pg from 'pg';
import { NodeIsStandbyError } from './errors.js';
import { NODE_INFO_SQL, type NodeInfo, nodeInfoOf, type NodeInfoRow } from './node-info.js';

export type { NodeInfo, NodeRole } from './node-info.js';

/** Asked each time, never cached: a standby becomes the primary on failover. */
export async function readNodeInfo(client: pg.ClientBase): Promise<NodeInfo> {
  const { rows } = await client.query<NodeInfoRow>(NODE_INFO_SQL);
  return nodeInfoOf(rows[0]!);
}

/**
 * Refuses a write on a hot standby before anything is locked or written. `where` names the node
 * in the error (a redacted connection); without it, the database name is used.
 */
export async function requirePrimary(client: pg.ClientBase, action: string, where?: string): Promise<NodeInfo> {
  const node = await readNodeInfo(client);
  if (node.role === 'standby') throw new NodeIsStandbyError(action, where ?? `database ${node.database}`);
  return node;
}

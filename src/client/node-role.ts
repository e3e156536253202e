import { CompiledQuery, type Kysely } from 'kysely';
import { NODE_INFO_SQL, type NodeRole, nodeInfoOf, type NodeInfoRow } from '../database/node-info.js';
import type { DB } from '../generated/db.js';

export type { NodeRole } from '../database/node-info.js';

/**
 * Whether the server behind `db` is the primary or a hot standby: the same query and the same
 * reading of it as `db status` and the migration engine, sent through the service's pool.
 * Asked each time, not cached: a standby becomes the primary on failover.
 */
export async function nodeRole(db: Kysely<DB>): Promise<NodeRole> {
  const { rows } = await db.executeQuery<NodeInfoRow>(CompiledQuery.raw(NODE_INFO_SQL));
  return nodeInfoOf(rows[0]!).role;
}

import { type Kysely, sql } from 'kysely';
import type { DB } from '../generated/db.js';

export type NodeRole = 'primary' | 'standby';

/**
 * Whether the server behind `db` is the primary or a hot standby (pg_is_in_recovery()).
 * Asked each time, not cached: a standby becomes the primary on failover.
 */
export async function nodeRole(db: Kysely<DB>): Promise<NodeRole> {
  const row = await db.selectNoFrom(sql<boolean>`pg_is_in_recovery()`.as('in_recovery')).executeTakeFirstOrThrow();
  return row.in_recovery ? 'standby' : 'primary';
}

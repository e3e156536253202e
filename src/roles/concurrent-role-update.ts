import type pg from 'pg';
import { inOpenTransaction, inSavepoint } from '../database/transaction.js';

/**
 * Roles live in shared catalogs (pg_authid), one row per role for the whole server, while the
 * migration lock is an advisory lock, and advisory locks are per database. So `db migrate` on
 * several databases of one server at once (a service's test suite giving each file its own
 * database) may run ALTER ROLE on the same role at the same moment. PostgreSQL then lets one
 * update win and fails the other with "tuple concurrently updated" (SQLSTATE XX000): catalog
 * updates do not wait and re-check as row updates do.
 *
 * Retrying is the correct cure, not a cluster-wide lock: the statement failed as a whole and
 * sets a wanted state (idempotent), and the alternatives each need more than the migrating
 * user may have: an advisory lock taken in a fixed database (`postgres` may not exist or accept
 * its connections), or LOCK on pg_authid (superuser only). Each attempt is its own transaction,
 * or a savepoint when the caller has a transaction open, so a failed attempt leaves nothing behind.
 */
export const MAX_ROLE_UPDATE_ATTEMPTS = 20;

export function isConcurrentCatalogUpdate(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e?.code === 'XX000' && typeof e.message === 'string' && /^tuple concurrently (updated|deleted)$/.test(e.message);
}

/** Runs one role statement, retried with a random, growing pause while another session updates the same role. */
export async function runRoleStatement(client: pg.ClientBase, sql: string): Promise<void> {
  const nested = inOpenTransaction(client);
  for (let attempt = 1; ; attempt++) {
    try {
      await (nested ? inSavepoint(client, 'voipdb_role_update', () => client.query(sql)) : client.query(sql));
      return;
    } catch (error) {
      if (!isConcurrentCatalogUpdate(error) || attempt >= MAX_ROLE_UPDATE_ATTEMPTS) throw error;
      // Random, so that the sessions that lost together do not collide again together.
      await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(attempt, 10)));
    }
  }
}

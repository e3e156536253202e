import type pg from 'pg';

/**
 * The engine's own bookkeeping lives in schema voipdb_meta, never in a schema Kamailio searches,
 * and under a name no Kamailio module uses (Kamailio resolves unqualified names via search_path).
 */
export const HISTORY_SCHEMA = 'voipdb_meta';
export const HISTORY_TABLE = `${HISTORY_SCHEMA}.migrations`;

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  appliedBy: string;
  /** Recorded by `db adopt`: its objects already existed (a kamdbctl database), nothing of the file ran. */
  adopted?: boolean;
}

const CREATE_HISTORY = `
CREATE SCHEMA IF NOT EXISTS voipdb_meta;
COMMENT ON SCHEMA voipdb_meta IS 'voipdb migration history (managed by the db command)';
CREATE TABLE IF NOT EXISTS voipdb_meta.migrations (
  version     integer     PRIMARY KEY,
  name        text        NOT NULL,
  checksum    text        NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
  applied_at  timestamptz NOT NULL DEFAULT now(),
  duration_ms integer     NOT NULL,
  applied_by  text        NOT NULL DEFAULT current_user,
  adopted     boolean     NOT NULL DEFAULT false
);
REVOKE ALL ON SCHEMA voipdb_meta FROM PUBLIC;`;

/**
 * Creates the history table when it is missing; called only under the migration lock, on a
 * primary. An up-to-date run writes nothing (no catalog churn, no WAL for the standby).
 */
export async function ensureHistoryTable(client: pg.ClientBase): Promise<void> {
  if (await historyTableExists(client)) return;
  await client.query(CREATE_HISTORY);
}

export async function historyTableExists(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ exists: boolean }>("SELECT to_regclass('voipdb_meta.migrations') IS NOT NULL AS exists");
  return rows[0]!.exists;
}

/** Applied migrations, oldest first; empty when the history table does not exist yet. */
export async function readHistory(client: pg.ClientBase): Promise<AppliedMigration[]> {
  if (!(await historyTableExists(client))) return [];
  // `adopted` through to_jsonb: history tables made before `db adopt` existed do not have the column.
  const { rows } = await client.query<{
    version: number;
    name: string;
    checksum: string;
    applied_at: Date;
    duration_ms: number;
    applied_by: string;
    adopted: boolean | null;
  }>(
    `SELECT version, name, checksum, applied_at, duration_ms, applied_by, (to_jsonb(m) ->> 'adopted')::boolean AS adopted
       FROM voipdb_meta.migrations m ORDER BY version`,
  );
  return rows.map((r) => ({
    version: r.version,
    name: r.name,
    checksum: r.checksum,
    appliedAt: r.applied_at,
    durationMs: r.duration_ms,
    appliedBy: r.applied_by,
    adopted: r.adopted === true,
  }));
}

export async function recordApplied(
  client: pg.ClientBase,
  m: { version: number; name: string; checksum: string },
  durationMs: number,
): Promise<void> {
  await client.query('INSERT INTO voipdb_meta.migrations (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)', [
    m.version,
    m.name,
    m.checksum,
    Math.round(durationMs),
  ]);
}

/**
 * Records a migration whose objects `db adopt` found already there (a kamdbctl database): the
 * file did not run, the row says so, with who adopted it and when (applied_by, applied_at).
 * The column is added to a history table that predates it (additive, idempotent).
 */
export async function recordAdopted(client: pg.ClientBase, m: { version: number; name: string; checksum: string }): Promise<void> {
  await client.query('ALTER TABLE voipdb_meta.migrations ADD COLUMN IF NOT EXISTS adopted boolean NOT NULL DEFAULT false');
  await client.query('INSERT INTO voipdb_meta.migrations (version, name, checksum, duration_ms, adopted) VALUES ($1, $2, $3, 0, true)', [
    m.version,
    m.name,
    m.checksum,
  ]);
}

export async function recordReverted(client: pg.ClientBase, version: number): Promise<void> {
  await client.query('DELETE FROM voipdb_meta.migrations WHERE version = $1', [version]);
}

import type pg from 'pg';

export interface SlotState {
  exists: boolean;
  active: boolean;
  activePid: number | null;
}

export async function readSlot(client: pg.ClientBase, name: string): Promise<SlotState> {
  const { rows } = await client.query<{ active: boolean; active_pid: number | null }>(
    "SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = $1 AND slot_type = 'physical'",
    [name],
  );
  return rows.length === 0
    ? { exists: false, active: false, activePid: null }
    : { exists: true, active: rows[0]!.active, activePid: rows[0]!.active_pid };
}

/**
 * Creates the physical slot when missing, reserving WAL at once (immediately_reserve), so every
 * segment written from now on waits for the standby that will use it. Returns whether it was created.
 */
export async function ensurePhysicalSlot(client: pg.ClientBase, name: string): Promise<boolean> {
  if ((await readSlot(client, name)).exists) return false;
  await client.query('SELECT pg_create_physical_replication_slot($1, true)', [name]);
  return true;
}

/** Drops a slot this command created when its clone failed (an unused slot retains WAL without bound). */
export async function dropSlotQuietly(client: pg.ClientBase, name: string): Promise<boolean> {
  try {
    await client.query('SELECT pg_drop_replication_slot($1)', [name]);
    return true;
  } catch {
    return false;
  }
}

import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Which timeline a data directory is on, read from its files while PostgreSQL is stopped (the
 * boot guard) or running (the watch): the checkpoint's timeline in global/pg_control, or a newer
 * one named by a `<TLI>.history` file in pg_wal, which a promotion writes at once while the
 * checkpoint that records the new timeline may come later.
 *
 * pg_control starts with the same fields in every supported major (15 to 18): system identifier
 * (uint64 at 0), pg_control_version, catalog_version_no, state (int32 at 16), time (int64 at 24),
 * checkPoint (at 32), then the checkpoint copy: redo (at 40), ThisTimeLineID (uint32 at 48).
 * Little-endian, as the servers this runs beside are x86-64 or arm64.
 */
const STATE_OFFSET = 16;
const CHECKPOINT_TLI_OFFSET = 48;

/** DBState of pg_control: how the cluster last stopped, or that it runs. */
const DB_STATES = [
  'starting up',
  'shut down',
  'shut down in recovery',
  'shutting down',
  'in crash recovery',
  'in archive recovery',
  'in production',
] as const;
export type ClusterState = (typeof DB_STATES)[number] | 'unknown';

export interface DataDirTimeline {
  timeline: number;
  state: ClusterState;
}

export async function readDataDirTimeline(dataDir: string): Promise<DataDirTimeline | undefined> {
  let control: Buffer;
  try {
    control = await fs.readFile(path.join(dataDir, 'global', 'pg_control'));
  } catch {
    return undefined;
  }
  if (control.length < CHECKPOINT_TLI_OFFSET + 4) return undefined;
  const checkpointTli = control.readUInt32LE(CHECKPOINT_TLI_OFFSET);
  const state = DB_STATES[control.readInt32LE(STATE_OFFSET)] ?? 'unknown';
  const entries = await fs.readdir(path.join(dataDir, 'pg_wal')).catch(() => [] as string[]);
  const histories = entries
    .map((e) => /^([0-9A-F]{8})\.history$/.exec(e))
    .filter((m) => m !== null)
    .map((m) => parseInt(m[1]!, 16));
  return { timeline: Math.max(checkpointTli, ...histories), state };
}

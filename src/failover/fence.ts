import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runAsServerUser, runningPid, type OsUser } from '../local/cluster.js';
import type { FailoverNode } from './failover-node.js';

/**
 * The fence: this node's PostgreSQL runs as a standby, read-only whatever a session SETs, until
 * the watch (or `db rejoin`) lifts it. Chosen over stopping PostgreSQL because a fenced node keeps
 * serving reads to its own services, can follow the new primary when the two never diverged, and is
 * one file away from being a primary again when the fence was a false alarm (a switch that
 * rebooted). A fence is `standby.signal` plus the marker `voipdb.fenced` (why, and when) in the
 * data directory, then a restart: a fast shutdown ends every session at once, so writes stop
 * within the shutdown's first milliseconds (FENCE_WRITE_STOP_MS bounds it in the timing rule).
 */
export const FENCE_MARKER = 'voipdb.fenced';
const STANDBY_SIGNAL = 'standby.signal';

export interface FenceMarker {
  reason: string;
  /** Wall-clock time, for people reading the file. */
  at: string;
  /** What raised it: the lease (watch), the boot guard. */
  by: 'lease' | 'guard';
}

export async function readFence(dataDir: string): Promise<FenceMarker | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dataDir, FENCE_MARKER), 'utf8')) as FenceMarker;
  } catch {
    return undefined;
  }
}

export async function hasStandbySignal(dataDir: string): Promise<boolean> {
  return fs.access(path.join(dataDir, STANDBY_SIGNAL)).then(
    () => true,
    () => false,
  );
}

/** The data directory's owner: files written here (as root by the guard) must stay the server's. */
export async function ownerOf(dataDir: string): Promise<OsUser> {
  const s = await fs.stat(dataDir);
  return { uid: s.uid, gid: s.gid, name: String(s.uid) };
}

async function writeOwned(file: string, text: string, owner: OsUser): Promise<void> {
  const handle = await fs.open(file, 'w', 0o600);
  try {
    await handle.writeFile(text);
    // Durable before the restart: a crash right after must still start as a standby.
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (process.getuid?.() === 0) await fs.chown(file, owner.uid, owner.gid);
}

/** Writes standby.signal and the marker: from now on every start of this directory is a standby start. */
export async function writeFence(dataDir: string, marker: Omit<FenceMarker, 'at'>): Promise<void> {
  const owner = await ownerOf(dataDir);
  await writeOwned(path.join(dataDir, STANDBY_SIGNAL), '', owner);
  await writeOwned(path.join(dataDir, FENCE_MARKER), `${JSON.stringify({ ...marker, at: new Date().toISOString() })}\n`, owner);
}

/** Removes the marker and standby.signal: the next start is a primary start. */
export async function clearFence(dataDir: string): Promise<void> {
  await fs.rm(path.join(dataDir, STANDBY_SIGNAL), { force: true });
  await fs.rm(path.join(dataDir, FENCE_MARKER), { force: true });
}

/**
 * Restarts PostgreSQL so that it reads standby.signal again. `service-manager`: a fast shutdown
 * (SIGINT to the postmaster) and the unit's Restart=always starts it again through the guard;
 * returns once the postmaster is gone. `pg_ctl`: `pg_ctl restart -m fast` with the options the
 * server was started with; returns once it accepts connections again.
 */
export async function restartPostgres(node: FailoverNode, dataDir: string): Promise<void> {
  if (node.settings.restart === 'pg_ctl') {
    const binDir = node.own.binDir ?? '/usr/lib/postgresql/18/bin';
    const owner = await ownerOf(dataDir);
    const log = path.join(node.settings.stateDir, `${node.self.name}.pg_ctl.log`);
    await fs.mkdir(node.settings.stateDir, { recursive: true });
    await fs.writeFile(log, '', { flag: 'a' });
    if (process.getuid?.() === 0) await fs.chown(log, owner.uid, owner.gid);
    const result = await runAsServerUser(
      path.join(binDir, 'pg_ctl'),
      ['restart', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-l', log],
      process.getuid?.() === 0 ? owner : undefined,
    );
    if (result.code !== 0) throw new Error(`pg_ctl restart failed: ${result.output.trim().split('\n').slice(-3).join(' | ')}`);
    return;
  }
  const pid = await runningPid(dataDir);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await runningPid(dataDir)) === pid) await new Promise((r) => setTimeout(r, 20));
}

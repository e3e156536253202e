import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { connect, withConnection } from '../database/connect.js';
import { readNodeInfo } from '../database/node-role.js';
import { type OsUser, runAsServerUser, serverOsUser } from '../local/cluster.js';
import { lastLines } from '../local/last-lines.js';
import { findProgram } from '../local/binaries.js';
import { type CloneResult, cloneStandby } from './clone.js';
import { formatConninfo } from './conninfo.js';
import {
  asidePath,
  assertNotRunning,
  copyDataDirAside,
  moveDataDirAside,
  readDataDirMajor,
  readSystemIdentifier,
} from '../local/data-dir.js';
import { UsageError } from '../errors.js';
import { DataDirInvalidError, ServerRunningError } from '../local/errors.js';
import { RewindFailedError, WrongNodeRoleError } from './errors.js';
import { postgresAnswers } from './liveness.js';
import { type Divergence, findDivergence, type SalvageResult, salvageRows } from './salvage.js';
import { checkReplicationPassfile } from './passfile.js';
import { ensurePhysicalSlot } from './slots.js';
import { type StandbySettings, writeStandbyConfig } from './standby-config.js';

export type RejoinMethod = 'pg_rewind' | 'clone';

export interface RejoinOptions {
  /** The old primary (to make sure it no longer runs as a primary); its data directory is `dataDir`. */
  target: ConnectionConfig;
  /** An administrative connection to the new primary (pg_rewind's source, and where the slot lives). */
  primary: ConnectionConfig;
  dataDir: string;
  /** Without applicationName/slotName: the one free `<node>_slot` on the new primary names the node (`db promote` made it). */
  standby: Omit<StandbySettings, 'primaryHost' | 'primaryPort' | 'applicationName' | 'slotName'> & {
    applicationName?: string;
    slotName?: string;
  };
  binDir?: string;
  /** auto (default): pg_rewind when installed for this major and allowed by the cluster, else a fresh clone. */
  method?: 'auto' | RejoinMethod;
  osUser?: OsUser;
  /**
   * Default true: before anything is changed, find what the old primary wrote after the fork,
   * copy its CDRs to the new primary and list the rest (salvage.ts). False skips that; the old
   * directory is kept aside either way.
   */
  salvage?: boolean;
  onStep?: (message: string) => void;
}

export interface RejoinResult {
  method: RejoinMethod;
  methodReason: string;
  primary: string;
  dataDir: string;
  slot: { name: string; created: boolean };
  /** Where the old contents went when the node was cloned afresh (delete it once the standby is healthy). */
  movedAside?: string;
  /** The old primary's data directory as it was, kept until the operator removes it: moved (clone) or copied (pg_rewind) there. */
  keptAside: string;
  /** What only the old primary had (null with salvage: false). */
  salvage: SalvageResult | null;
  clone?: CloneResult;
}

/**
 * `db rejoin`: turns the old primary, stopped, into a hot standby of the new primary. With
 * pg_rewind (same major installed, and data checksums or wal_log_hints, which it needs to find
 * the blocks changed after the fork) only the diverged blocks are copied; otherwise the old
 * directory is moved aside and the node is cloned afresh. Either way it ends with the standby
 * settings pointing at the new primary through the node's slot. Starting the server is left to
 * the service manager (systemd), which owns it.
 */
export async function rejoinAsStandby(options: RejoinOptions): Promise<RejoinResult> {
  const step = options.onStep ?? (() => undefined);
  const osUser = options.osUser ?? serverOsUser();
  const targetWhere = describeConnection(options.target);
  const where = describeConnection(options.primary);

  await assertTargetDown(options.target, targetWhere);
  await assertNotRunning(options.dataDir, `rejoin ${options.dataDir}`);
  const targetMajor = await readDataDirMajor(options.dataDir);
  if (targetMajor === undefined) {
    throw new DataDirInvalidError(
      `${options.dataDir} holds no PostgreSQL cluster (no PG_VERSION); nothing was changed`,
      'pass the old primary’s data directory, or make a new standby with `db standby clone` into an empty one',
    );
  }

  const source = await withConnection(options.primary, async (client) => {
    const node = await readNodeInfo(client);
    if (node.role !== 'primary') {
      throw new WrongNodeRoleError(
        'NODE_NOT_PRIMARY',
        `refusing to rejoin: ${where} is a hot standby, not the new primary; nothing was changed`,
        'promote it first (`db promote`), or pass the promoted node as --primary-url',
      );
    }
    const { rows } = await client.query<{ sysid: string; checksums: string; hints: string }>(
      "SELECT system_identifier::text AS sysid, current_setting('data_checksums') AS checksums, current_setting('wal_log_hints') AS hints FROM pg_control_system()",
    );
    const freeSlots = (
      await client.query<{ slot_name: string }>(
        "SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active AND slot_name ~ '^[a-z][a-z0-9_]*_slot$' ORDER BY 1",
      )
    ).rows.map((r) => r.slot_name);
    return { ...node, ...rows[0]!, freeSlots };
  });
  const identity = rejoinIdentity(options.standby, source.freeSlots, where);
  const settings: StandbySettings = {
    ...options.standby,
    ...identity,
    primaryHost: options.primary.host,
    primaryPort: options.primary.port,
  };
  const major = Math.floor(source.serverVersionNum / 10000);
  if (targetMajor !== major) {
    throw new DataDirInvalidError(
      `${options.dataDir} is a PostgreSQL ${targetMajor} cluster, the new primary ${where} runs ${major}; nothing was changed`,
      'a standby must run the primary’s major version: upgrade this node, then `db standby clone` into an empty directory',
    );
  }
  const targetSysid = await readSystemIdentifier(options.dataDir);
  if (targetSysid !== source.sysid && options.method !== 'clone') {
    throw new DataDirInvalidError(
      `${options.dataDir} belongs to another cluster (system identifier ${targetSysid ?? '?'}, the new primary has ${source.sysid}); nothing was changed`,
      'check --data-dir; to replace it with a copy of the new primary anyway, run again with --method clone (it moves the old directory aside)',
    );
  }
  await checkReplicationPassfile(
    settings.passfile,
    { host: settings.primaryHost, port: settings.primaryPort, user: settings.replicationUser },
    osUser,
  );

  const rewind = await chooseRewind(options.method ?? 'auto', major, options.binDir, source);
  const keptAside = asidePath(options.dataDir);
  // What only the old primary has, told from its WAL before anything changes (may refuse).
  const divergence = options.salvage === false ? null : await findDivergence({ dataDir: options.dataDir, primary: options.primary, step });
  if (rewind.program) {
    step(`rewinding ${options.dataDir} to the new primary ${where} with ${rewind.reason}`);
    // pg_rewind reads the source's timeline from its control file, which a just-promoted server
    // updates only at its first checkpoint; without one the rewound node can refuse to start
    // ("requested timeline N does not contain minimum recovery point"). Needs superuser or pg_checkpoint.
    await withConnection(options.primary, (client) => client.query('CHECKPOINT'));
    const dry = await runRewind(rewind.program, options, osUser, true);
    if (dry.ok) {
      // pg_rewind changes the directory in place: the old primary's files are copied aside first,
      // and the rows are read from that copy.
      await copyDataDirAside(options.dataDir, keptAside);
      step(`kept a copy of the old data directory at ${keptAside}`);
      let salvage: SalvageResult | null;
      try {
        salvage = await salvage_(divergence, options, major, osUser, keptAside, step);
      } catch (error) {
        await fs.rm(keptAside, { recursive: true, force: true });
        throw error;
      }
      const real = await runRewind(rewind.program, options, osUser, false);
      if (!real.ok) {
        throw new RewindFailedError(
          `pg_rewind failed midway: ${lastLines(real.output, 2)}; ${options.dataDir} may be inconsistent and must NOT be started (the old primary's files are kept in ${keptAside})`,
          `run \`db rejoin … --method clone\`: it moves ${options.dataDir} aside and clones the new primary afresh`,
        );
      }
      step(lastLines(real.output, 1) || 'pg_rewind done');
      // pg_rewind keeps the target's own pg_replslot: the slots it had as a primary would retain WAL here forever.
      const stale = await clearReplicationSlots(options.dataDir);
      if (stale.length > 0) step(`removed the slots it had as a primary: ${stale.join(', ')}`);
      await writeStandbyConfig(options.dataDir, settings, osUser);
      const created = await withConnection(options.primary, (client) => ensurePhysicalSlot(client, settings.slotName));
      step(`wrote standby.signal and primary_conninfo for ${where}, slot ${settings.slotName}${created ? ' (created)' : ''}`);
      return {
        method: 'pg_rewind',
        methodReason: rewind.reason,
        primary: where,
        dataDir: options.dataDir,
        slot: { name: settings.slotName, created },
        keptAside,
        salvage,
      };
    }
    if (options.method === 'pg_rewind') {
      throw new RewindFailedError(
        `pg_rewind --dry-run refused: ${lastLines(dry.output, 2)}; nothing was changed`,
        'fix what it names, or run again with --method clone',
      );
    }
    rewind.reason = `pg_rewind --dry-run refused (${lastLines(dry.output, 1)})`;
  }

  step(`cloning afresh: ${rewind.reason}`);
  const movedAside = await moveDataDirAside(options.dataDir, osUser, keptAside);
  step(`moved the old data directory aside to ${movedAside}`);
  let salvage: SalvageResult | null;
  try {
    salvage = await salvage_(divergence, options, major, osUser, keptAside, step);
  } catch (error) {
    // Nothing changed after all: the old directory goes back where it was.
    await fs.rmdir(options.dataDir);
    await fs.rename(movedAside, options.dataDir);
    throw error;
  }
  let clone: CloneResult;
  try {
    clone = await cloneStandby({
      primary: options.primary,
      dataDir: options.dataDir,
      standby: { ...options.standby, ...identity },
      method: 'auto',
      ...(osUser ? { osUser } : {}),
      ...(options.binDir ? { binDir: options.binDir } : {}),
      onStep: step,
    });
  } catch (error) {
    const e = error as Error & { hint?: string };
    throw new DataDirInvalidError(
      `${e.message}; the old primary's data is kept in ${movedAside}`,
      `${e.hint ?? 'fix the cause'}; then run \`db standby clone\` into ${options.dataDir} (or move ${movedAside} back)`,
      { cause: error },
    );
  }
  return {
    method: 'clone',
    methodReason: rewind.reason,
    primary: where,
    dataDir: options.dataDir,
    slot: clone.slot,
    movedAside,
    keptAside: movedAside,
    salvage,
    clone,
  };
}

async function salvage_(
  divergence: Divergence | null,
  options: RejoinOptions,
  major: number,
  osUser: OsUser | undefined,
  keptAside: string,
  step: (message: string) => void,
): Promise<SalvageResult | null> {
  if (divergence === null) return null;
  const result = await salvageRows(divergence, {
    keptDir: keptAside,
    major,
    primary: options.primary,
    ...(options.binDir ? { binDir: options.binDir } : {}),
    osUser,
    file: `${keptAside}.salvage.jsonl`,
  });
  if (result.forkLsn === null) step(`the old primary is on the new primary's timeline ${result.newTimeline}: nothing to salvage`);
  else if (result.tables.length === 0) step('the old primary wrote no rows after the fork');
  else {
    step(
      `rows only the old primary had (written after the fork): ${result.tables.map((t) => `${t.database} ${t.table} ${t.rows}`).join(', ')}; all in ${result.file}`,
    );
    if (result.cdrs.found > 0)
      step(`CDRs copied to the new primary: ${result.cdrs.inserted} stored, ${result.cdrs.alreadyThere} already there (same uuid)`);
  }
  return result;
}

async function clearReplicationSlots(dataDir: string): Promise<string[]> {
  const dir = path.join(dataDir, 'pg_replslot');
  const slots = await fs.readdir(dir).catch(() => [] as string[]);
  for (const slot of slots) await fs.rm(path.join(dir, slot), { recursive: true, force: true });
  return slots;
}

function rejoinIdentity(
  given: { applicationName?: string; slotName?: string },
  freeSlots: string[],
  where: string,
): { applicationName: string; slotName: string } {
  if (given.applicationName) return { applicationName: given.applicationName, slotName: given.slotName ?? `${given.applicationName}_slot` };
  if (given.slotName) return { applicationName: given.slotName.replace(/_slot$/, ''), slotName: given.slotName };
  if (freeSlots.length === 1) return { applicationName: freeSlots[0]!.replace(/_slot$/, ''), slotName: freeSlots[0]! };
  throw new UsageError(
    `cannot tell which node is rejoining: ${where} has ${freeSlots.length === 0 ? 'no free <node>_slot' : `several free slots (${freeSlots.join(', ')})`}; nothing was changed`,
    'pass --node <name> (e.g. node1); its slot is <name>_slot',
  );
}

/** The old primary must not run: as a primary that is split brain; as anything, its files are in use. */
async function assertTargetDown(target: ConnectionConfig, where: string): Promise<void> {
  if (!(await postgresAnswers(target.host, target.port))) return;
  let role: string | undefined;
  try {
    const client = await connect(target);
    try {
      role = (await readNodeInfo(client)).role;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch {
    role = undefined;
  }
  const what = role === 'primary' ? 'still a running primary' : role === 'standby' ? 'running (as a standby)' : 'still running';
  throw new ServerRunningError(
    `refusing to rejoin ${where}: it is ${what}; nothing was changed`,
    'stop PostgreSQL on that node first (systemctl stop <unit>, or pg_ctl -D <dir> stop -m fast), then run `db rejoin` again',
  );
}

async function chooseRewind(
  wanted: 'auto' | RejoinMethod,
  major: number,
  binDir: string | undefined,
  source: { checksums: string; hints: string },
): Promise<{ program?: string; reason: string }> {
  if (wanted === 'clone') return { reason: 'asked for with --method clone' };
  const search = await findProgram('pg_rewind', major, binDir);
  const allowed = source.checksums === 'on' || source.hints === 'on';
  if (search.found && allowed) {
    return {
      program: search.found.path,
      reason: `pg_rewind ${major} at ${search.found.path} (${source.checksums === 'on' ? 'data checksums on' : 'wal_log_hints = on'})`,
    };
  }
  const why = !search.found
    ? `no pg_rewind ${major} installed${search.seen.length > 0 ? ` (found ${search.seen.join(', ')})` : ''}`
    : 'the cluster has neither data checksums nor wal_log_hints = on, which pg_rewind needs';
  if (wanted === 'pg_rewind') {
    throw new RewindFailedError(
      `cannot rewind: ${why}; nothing was changed`,
      'install it or pass --bin-dir; set wal_log_hints = on (`db config render`); or run with --method clone',
    );
  }
  return { reason: why };
}

/**
 * pg_rewind as the server's OS user (it refuses root). The source's password, if the URL has one,
 * goes into a temporary 0600 passfile, never onto the command line or into the environment.
 */
async function runRewind(
  program: string,
  options: RejoinOptions,
  osUser: OsUser | undefined,
  dryRun: boolean,
): Promise<{ ok: boolean; output: string }> {
  const p = options.primary;
  const conninfo = formatConninfo({
    host: p.host,
    port: p.port,
    user: p.user,
    dbname: p.database,
    sslmode: p.sslmode,
    application_name: 'voipdb-rejoin',
  });
  const env: NodeJS.ProcessEnv = {};
  let tmp: string | undefined;
  if (p.password !== undefined) {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-rejoin-'));
    const passfile = path.join(tmp, 'pgpass');
    const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
    await fs.writeFile(passfile, `${esc(p.host)}:${p.port}:*:${esc(p.user)}:${esc(p.password)}\n`, { mode: 0o600 });
    if (osUser) {
      await fs.chown(tmp, osUser.uid, osUser.gid);
      await fs.chown(passfile, osUser.uid, osUser.gid);
    }
    env.PGPASSFILE = passfile;
  }
  try {
    const args = [`--target-pgdata=${options.dataDir}`, `--source-server=${conninfo}`, ...(dryRun ? ['--dry-run'] : [])];
    const r = await runAsServerUser(program, args, osUser, env);
    return { ok: r.code === 0, output: r.output.trim() };
  } finally {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  }
}

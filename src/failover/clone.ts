import { promises as fs } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { connect, withConnection } from '../database/connect.js';
import { readNodeInfo } from '../database/node-role.js';
import { type OsUser, serverOsUser } from '../local/cluster.js';
import { runBaseBackup } from './base-backup.js';
import { findProgram } from '../local/binaries.js';
import { INCOMPLETE_MARKER, assertEmptyDataDir, clearDataDir, makeDataDir } from '../local/data-dir.js';
import { CloneFailedError, PrimaryNotReadyError, WrongNodeRoleError } from './errors.js';
import { onlineCopy, writeServerFile } from './online-copy.js';
import { checkReplicationPassfile } from './passfile.js';
import { dropSlotQuietly, ensurePhysicalSlot, readSlot } from './slots.js';
import { type StandbySettings, primaryConninfo, writeStandbyConfig } from './standby-config.js';
import { lastLines } from '../local/last-lines.js';

export type CloneMethod = 'pg_basebackup' | 'online-copy';

export interface CloneOptions {
  /** An administrative connection to the primary (a superuser, or a role with the backup and file-read grants). */
  primary: ConnectionConfig;
  dataDir: string;
  /** This standby's name (its application_name on the primary, e.g. node2), the slot and the replication login. */
  standby: Omit<StandbySettings, 'primaryHost' | 'primaryPort'>;
  /** Where to look for pg_basebackup first (else Debian's /usr/lib/postgresql/<major>/bin, else PATH). */
  binDir?: string;
  /** Default auto: pg_basebackup when one of the server's major is installed, else the online copy. */
  method?: 'auto' | CloneMethod;
  /** The OS user that owns the files (default: ourselves, or postgres when run as root). */
  osUser?: OsUser;
  onStep?: (message: string) => void;
}

export interface CloneResult {
  method: CloneMethod;
  /** Why that method (e.g. "pg_basebackup 15 at /usr/bin/pg_basebackup cannot copy a PostgreSQL 18 server"). */
  methodReason: string;
  primary: string;
  serverVersion: string;
  dataDir: string;
  slot: { name: string; created: boolean };
  primaryConninfo: string;
  copied?: { files: number; bytes: number; startLsn: string; stopLsn: string };
}

/**
 * `db standby clone`: makes `dataDir` a hot standby of the primary. Checks everything it can
 * before writing a byte (empty target, a primary, no user tablespaces, the replication role,
 * the passfile, a free slot), then copies, then writes the standby settings. A failed copy is
 * removed again (the directory was empty), and a slot this run created is dropped.
 */
export async function cloneStandby(options: CloneOptions): Promise<CloneResult> {
  const step = options.onStep ?? (() => undefined);
  const osUser = options.osUser ?? serverOsUser();
  const where = describeConnection(options.primary);
  const settings: StandbySettings = { ...options.standby, primaryHost: options.primary.host, primaryPort: options.primary.port };
  await assertEmptyDataDir(options.dataDir);

  const client = await connect(options.primary);
  let slotCreated = false;
  try {
    const node = await readNodeInfo(client);
    if (node.role !== 'primary') {
      throw new WrongNodeRoleError(
        'NODE_NOT_PRIMARY',
        `refusing to clone from ${where}: it is a hot standby, not the primary; nothing was written`,
        'pass the primary as --primary-url (`db status --url …` shows each node’s role)',
      );
    }
    await checkPrimaryReady(client, settings, where);
    await checkReplicationPassfile(
      settings.passfile,
      { host: settings.primaryHost, port: settings.primaryPort, user: settings.replicationUser },
      osUser,
    );

    const major = Math.floor(node.serverVersionNum / 10000);
    const chosen = await chooseMethod(options.method ?? 'auto', major, options.binDir);
    step(`primary ${where} is PostgreSQL ${node.serverVersion}; copying with ${chosen.method} (${chosen.reason})`);

    const slot = await readSlot(client, settings.slotName);
    if (slot.active) {
      throw new PrimaryNotReadyError(
        `slot ${settings.slotName} on ${where} is in use by a running standby (walsender pid ${slot.activePid}); nothing was written`,
        `is ${settings.applicationName} already streaming? stop that server, or clone under another --node / --slot`,
      );
    }
    slotCreated = await ensurePhysicalSlot(client, settings.slotName);
    step(
      slotCreated
        ? `created slot ${settings.slotName} on the primary`
        : `slot ${settings.slotName} exists on the primary (inactive): using it`,
    );

    await makeDataDir(options.dataDir, osUser);
    let copied: CloneResult['copied'];
    try {
      if (chosen.method === 'pg_basebackup') {
        const r = await runBaseBackup(chosen.program!, options.dataDir, settings, osUser);
        if (!r.ok) throw new Error(`pg_basebackup failed: ${lastLines(r.output, 3)}`);
      } else {
        // The marker says "incomplete" until the standby settings are written; pg_control comes last.
        await writeServerFile(
          path.join(options.dataDir, INCOMPLETE_MARKER),
          `clone of ${where} in progress since ${new Date().toISOString()}\n`,
          osUser,
        );
        copied = await withConnection({ ...options.primary, applicationName: 'voipdb-clone' }, (backup) =>
          onlineCopy(backup, options.dataDir, { label: `voipdb clone for ${settings.applicationName}`, osUser }),
        );
        step(
          `copied ${copied.files} files (${Math.round(copied.bytes / 1024 / 1024)} MB) between WAL ${copied.startLsn} and ${copied.stopLsn}`,
        );
      }
      await writeStandbyConfig(options.dataDir, settings, osUser);
      await fs.rm(path.join(options.dataDir, INCOMPLETE_MARKER), { force: true });
    } catch (error) {
      throw await failedCopy(error, options.dataDir, where);
    }
    step(`wrote standby.signal, primary_conninfo, primary_slot_name = '${settings.slotName}', hot_standby_feedback = on`);
    return {
      method: chosen.method,
      methodReason: chosen.reason,
      primary: where,
      serverVersion: node.serverVersion,
      dataDir: options.dataDir,
      slot: { name: settings.slotName, created: slotCreated },
      primaryConninfo: primaryConninfo(settings),
      ...(copied ? { copied } : {}),
    };
  } catch (error) {
    if (slotCreated && (await dropSlotQuietly(client, settings.slotName))) step(`dropped slot ${settings.slotName} again`);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkPrimaryReady(client: pg.ClientBase, settings: StandbySettings, where: string): Promise<void> {
  const { rows: spaces } = await client.query<{ spcname: string }>(
    "SELECT spcname FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1",
  );
  if (spaces.length > 0) {
    throw new PrimaryNotReadyError(
      `${where} has user tablespaces (${spaces.map((s) => s.spcname).join(', ')}), which the clone does not copy; nothing was written`,
      'the platform keeps everything in the data directory: move those tables to pg_default',
    );
  }
  const { rows } = await client.query<{ rolreplication: boolean; rolcanlogin: boolean }>(
    'SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = $1',
    [settings.replicationUser],
  );
  const role = rows[0];
  if (!role?.rolreplication || !role.rolcanlogin) {
    throw new PrimaryNotReadyError(
      `role ${settings.replicationUser} on ${where} ${role ? 'lacks REPLICATION or LOGIN' : 'does not exist'}, so a standby cannot stream; nothing was written`,
      'run `db migrate` on the primary (it creates the platform roles) and set its password (`db roles`, VOIPDB_REPLICATOR_PASSWORD)',
    );
  }
}

async function chooseMethod(
  wanted: 'auto' | CloneMethod,
  major: number,
  binDir: string | undefined,
): Promise<{ method: CloneMethod; program?: string; reason: string }> {
  if (wanted === 'online-copy') return { method: 'online-copy', reason: 'asked for with --method online-copy' };
  const search = await findProgram('pg_basebackup', major, binDir);
  if (search.found)
    return { method: 'pg_basebackup', program: search.found.path, reason: `pg_basebackup ${major} at ${search.found.path}` };
  const why = `no pg_basebackup ${major} installed${search.seen.length > 0 ? ` (found ${search.seen.join(', ')})` : ''}`;
  if (wanted === 'pg_basebackup') {
    throw new PrimaryNotReadyError(
      `cannot clone with pg_basebackup: ${why}; nothing was written`,
      'install it, pass --bin-dir, or use --method auto',
    );
  }
  return { method: 'online-copy', reason: `${why}: pg_backup_start/pg_backup_stop and a copy over SQL` };
}

/** Removes the partial copy (the directory was empty before) and says so, or says what is left. */
async function failedCopy(error: unknown, dataDir: string, where: string): Promise<CloneFailedError> {
  const reason = (error as Error).message ?? String(error);
  try {
    await clearDataDir(dataDir);
    return new CloneFailedError(
      `clone of ${where} failed: ${reason}; the partial copy was removed (${dataDir} is empty again)`,
      'fix the cause and run `db standby clone` again',
      { cause: error },
    );
  } catch {
    return new CloneFailedError(
      `clone of ${where} failed: ${reason}; ${dataDir} holds a PARTIAL copy that must not be started`,
      `empty ${dataDir} and run \`db standby clone\` again`,
      { cause: error },
    );
  }
}

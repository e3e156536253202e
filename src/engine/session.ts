import type pg from 'pg';
import { type ConnectionConfig, describeConnection } from '../config/connection.js';
import { connect } from '../database/connect.js';
import { type NodeInfo, readNodeInfo, requirePrimary } from '../database/node-role.js';
import { readMigrationFiles, type MigrationFile } from './files.js';
import { ensureHistoryTable, readHistory, type AppliedMigration } from './history.js';
import { acquireMigrationLock, releaseMigrationLock } from './lock.js';
import { verifyHistory } from './plan.js';

/** Where the engine works: a connection it opens (and closes), or an open session it borrows. */
export type Session = ConnectionConfig | pg.ClientBase;

export const DEFAULT_LOCK_WAIT_MS = 60_000;

function isOpenSession(session: Session): session is pg.ClientBase {
  return typeof (session as { query?: unknown }).query === 'function';
}

/**
 * Runs `fn` on the session: a borrowed one is used as it is and left open; a configured one is
 * connected and always closed. `where` names the node in errors, never with its password.
 */
export async function withSession<T>(
  session: Session,
  fn: (client: pg.ClientBase, where: string | undefined, own: boolean) => Promise<T>,
): Promise<T> {
  if (isOpenSession(session)) return fn(session, undefined, false);
  const client = await connect(session);
  try {
    return await fn(client, describeConnection(session), true);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * If this process dies mid-migration, the server would otherwise keep running the statement (and
 * hold the migration lock) until it next writes to the socket. PostgreSQL 14+ can poll the
 * client: the transaction is then rolled back and the lock released within a second. Only on a
 * connection the engine opened: a borrowed session's settings are its owner's.
 */
export async function watchForDeadClient(client: pg.ClientBase): Promise<void> {
  await client.query(
    "SELECT set_config('client_connection_check_interval', '1000', false) WHERE current_setting('server_version_num')::int >= 140000",
  );
}

export interface LockedState {
  client: pg.ClientBase;
  node: NodeInfo;
  files: MigrationFile[];
  /** The history as read under the lock. */
  history: AppliedMigration[];
  plan: MigrationFile[];
}

/**
 * The frame of every writing run: refuse on a standby, check the history and the plan before
 * locking, then lock, re-read the history (another run may have applied migrations meanwhile),
 * re-plan, and run `work` with that plan. Unlocks whatever happens. `onNode` hears the node as
 * soon as it is known, so that a failure after that point can report it.
 */
export async function withMigrationLock<T>(
  session: Session,
  options: { migrationsDir: string; lockWaitMs?: number; createHistory: boolean; precheck?: (client: pg.ClientBase) => Promise<void> },
  action: string,
  plan: (files: MigrationFile[], history: AppliedMigration[]) => MigrationFile[],
  onNode: (node: NodeInfo, alreadyApplied: number) => void,
  work: (state: LockedState) => Promise<T>,
): Promise<T> {
  const files = await readMigrationFiles(options.migrationsDir);
  return withSession(session, async (client, where, own) => {
    const node = await requirePrimary(client, action, where);
    if (own) await watchForDeadClient(client);
    await options.precheck?.(client);
    const before = await readHistory(client);
    onNode(node, before.length);
    verifyHistory(files, before);
    plan(files, before);
    await acquireMigrationLock(client, options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
    try {
      if (options.createHistory) await ensureHistoryTable(client);
      const history = await readHistory(client);
      onNode(node, history.length);
      verifyHistory(files, history);
      return await work({ client, node, files, history, plan: plan(files, history) });
    } finally {
      await releaseMigrationLock(client).catch(() => undefined);
    }
  });
}

/** Reads the node, the files and the history without locking or writing (dry runs, status). */
export async function readState(
  session: Session,
  migrationsDir: string,
): Promise<{ node: NodeInfo; files: MigrationFile[]; history: AppliedMigration[] }> {
  const files = await readMigrationFiles(migrationsDir);
  return withSession(session, async (client) => ({ node: await readNodeInfo(client), files, history: await readHistory(client) }));
}

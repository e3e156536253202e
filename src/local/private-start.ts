import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, makeServerDir, type OsUser, runAsServerUser, runningPid, stopCluster } from './cluster.js';
import { LocalServerError } from './errors.js';
import { lastLines } from './last-lines.js';

/**
 * Starts a data directory that is not this node's running server (a restored copy, an old
 * primary kept aside) so that nothing but its caller can reach it: no TCP (listen_addresses
 * empty), its Unix socket, log and configuration files in a fresh folder that only the server's
 * OS user (and root) may enter. Its pg_hba.conf is the one written here, never the copy's own; a
 * data directory without a postgresql.conf (Debian keeps it in /etc) runs on an empty one. The
 * data directory itself is not written to by any of this.
 */
export interface PrivateStart {
  /** The private folder: the socket's directory (a connection's host), server.log, the configuration. */
  dir: string;
  /** Names the socket (.s.PGSQL.<port>); nothing listens on it over TCP. */
  port: number;
  logFile: string;
  /** Stops the server if it runs, then removes the private folder. */
  stop(): Promise<void>;
}

export interface PrivateStartOptions {
  dataDir: string;
  /** The folder of pg_ctl and postgres of the data directory's major. */
  binDir: string;
  osUser: OsUser | undefined;
  /** The private folder's name in the temporary directory starts with this. */
  folderPrefix: string;
  /** pg_hba.conf of the private start: who may use the socket, and how. */
  hba: string;
  /** Server settings on top of the private ones (-c name=value; values quoted as postgresql.conf wants). */
  settings: Record<string, string>;
  /**
   * 'accepting': return once the server accepts connections (pg_ctl -w, at most 60 s).
   * 'launched': return once pg_ctl has launched it; the caller reads logFile for what it waits for
   * (a recovery that ends with a promotion does not accept connections until then).
   */
  wait: 'accepting' | 'launched';
}

/**
 * Starts the data directory privately; a start that fails stops what it launched, leaves no folder
 * behind and throws LocalServerError. A directory a server already runs on is refused untouched.
 */
export async function privateStart(options: PrivateStartOptions): Promise<PrivateStart> {
  const running = await runningPid(options.dataDir);
  if (running !== undefined) {
    throw new LocalServerError(
      `a server (pid ${running}) already runs on ${options.dataDir}`,
      'stop that server first; a private start is only for a data directory nothing runs on',
    );
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), options.folderPrefix));
  await makeServerDir(dir, options.osUser);
  const own = async (name: string, text: string): Promise<string> => {
    const file = path.join(dir, name);
    await fs.writeFile(file, text, { mode: 0o600 });
    if (options.osUser) await fs.chown(file, options.osUser.uid, options.osUser.gid);
    return file;
  };
  const settings: Record<string, string> = {
    listen_addresses: "''",
    unix_socket_directories: `'${dir}'`,
    unix_socket_permissions: '0700',
    hba_file: `'${await own('pg_hba.conf', options.hba)}'`,
    ident_file: `'${await own('pg_ident.conf', '')}'`,
    ...(existsSync(path.join(options.dataDir, 'postgresql.conf')) ? {} : { config_file: `'${await own('postgresql.conf', '')}'` }),
    ...options.settings,
  };
  const logFile = await own('server.log', '');
  const remove = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  try {
    const port = await freePort();
    const serverOptions = [`-p ${port}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ');
    const waiting = options.wait === 'accepting' ? ['-w', '-t', '60'] : ['-W'];
    const started = await runAsServerUser(
      path.join(options.binDir, 'pg_ctl'),
      ['-D', options.dataDir, '-l', logFile, '-o', serverOptions, ...waiting, 'start'],
      options.osUser,
    );
    if (started.code !== 0) {
      const log = await fs.readFile(logFile, 'utf8').catch(() => '');
      throw new LocalServerError(
        `pg_ctl start: ${lastLines(log || started.output, 4)}`,
        'fix what the last lines of the server log (quoted) name; the private folder and its log were removed',
      );
    }
    return {
      dir,
      port,
      logFile,
      stop: async () => {
        await stopCluster(options.dataDir);
        await remove();
      },
    };
  } catch (error) {
    // pg_ctl -w gives up after its timeout but leaves the server it launched still starting.
    await stopCluster(options.dataDir);
    await remove();
    throw error;
  }
}

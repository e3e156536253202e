import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConnectionConfig } from '../config/connection.js';
import { embeddedBinDir, freePort, type OsUser, startCluster, stopCluster } from '../local/cluster.js';
import { findProgram, programMajor } from '../local/binaries.js';
import { SalvageFailedError } from './errors.js';

/**
 * Starts an old primary's data directory so that only `db rejoin` can read it: no TCP
 * (listen_addresses empty), a Unix socket in a fresh private folder that only the server's OS
 * user and root may use (unix_socket_permissions 0700, `trust` there and nowhere else),
 * sessions read-only by default, no autovacuum, no archiving, no synchronous standbys to wait
 * for. It runs as a primary (hot standby would refuse a primary's settings it cannot match), so
 * the only thing it writes is its shutdown checkpoint. Signal files are moved away while it runs
 * and put back, so a fenced node's standby.signal survives.
 */
export interface PrivateServer {
  /** Connection to one database of it (over the private socket, as `user`). */
  config(database: string): ConnectionConfig;
  stop(): Promise<void>;
}

const SIGNAL_FILES = ['standby.signal', 'recovery.signal'];

export async function startPrivately(options: {
  dataDir: string;
  major: number;
  user: string;
  binDir?: string;
  osUser: OsUser | undefined;
}): Promise<PrivateServer> {
  const binDir = await serverBinDir(options.major, options.binDir);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-salvage-'));
  await fs.chmod(dir, 0o700);
  if (options.osUser) await fs.chown(dir, options.osUser.uid, options.osUser.gid);
  const own = async (file: string, text: string): Promise<void> => {
    await fs.writeFile(file, text, { mode: 0o600 });
    if (options.osUser) await fs.chown(file, options.osUser.uid, options.osUser.gid);
  };
  await own(path.join(dir, 'pg_hba.conf'), 'local all all trust\n');
  await own(path.join(dir, 'pg_ident.conf'), '');
  const settings: Record<string, string> = {
    listen_addresses: "''",
    unix_socket_permissions: '0700',
    hba_file: `'${path.join(dir, 'pg_hba.conf')}'`,
    ident_file: `'${path.join(dir, 'pg_ident.conf')}'`,
    default_transaction_read_only: 'on',
    autovacuum: 'off',
    archive_mode: 'off',
    synchronous_standby_names: "''",
  };
  // Debian keeps postgresql.conf in /etc: without one in the data directory, an empty one of our own.
  if (!existsSync(path.join(options.dataDir, 'postgresql.conf'))) {
    await own(path.join(dir, 'postgresql.conf'), '');
    settings.config_file = `'${path.join(dir, 'postgresql.conf')}'`;
  }
  const moved: string[] = [];
  for (const name of SIGNAL_FILES) {
    const file = path.join(options.dataDir, name);
    if (existsSync(file)) {
      await fs.rename(file, `${file}.voipdb-salvage`);
      moved.push(file);
    }
  }
  const restore = async (): Promise<void> => {
    for (const file of moved) await fs.rename(`${file}.voipdb-salvage`, file).catch(() => undefined);
  };
  const port = await freePort();
  try {
    await startCluster(
      { binDir, dataDir: options.dataDir, port, socketDir: dir, logFile: path.join(dir, 'server.log'), superuser: options.user, settings },
      options.osUser,
    );
  } catch (error) {
    await restore();
    await fs.rm(dir, { recursive: true, force: true });
    throw new SalvageFailedError(
      `could not start the old primary's data directory privately to read what it wrote after the fork: ${(error as Error).message}; nothing was changed`,
      'fix what the server log names, or run again with --no-salvage (the old directory is still kept aside, unread)',
      { cause: error },
    );
  }
  return {
    config: (database) => ({ host: dir, port, user: options.user, database, applicationName: 'voipdb-rejoin-salvage' }),
    stop: async () => {
      await stopCluster(options.dataDir);
      await restore();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The server binaries (pg_ctl, postgres) of one major: --bin-dir, Debian's folder, PATH, else
 * the embedded PostgreSQL voipdb runs itself (`db start`) when it is that major.
 */
async function serverBinDir(major: number, binDir: string | undefined): Promise<string> {
  const found = await findProgram('pg_ctl', major, binDir);
  if (found.found) return path.dirname(found.found.path);
  try {
    const embedded = await embeddedBinDir();
    if ((await programMajor(path.join(embedded, 'postgres'))) === major) return embedded;
  } catch {
    /* not installed */
  }
  throw new SalvageFailedError(
    `no PostgreSQL ${major} server binaries (pg_ctl) found to read the old primary's data directory${found.seen.length > 0 ? ` (found ${found.seen.join(', ')})` : ''}; nothing was changed`,
    'install them or pass --bin-dir; or run again with --no-salvage (the old directory is still kept aside, unread)',
  );
}

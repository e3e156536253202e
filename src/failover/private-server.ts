import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { ConnectionConfig } from '../config/connection.js';
import { embeddedBinDir, type OsUser } from '../local/cluster.js';
import { findProgram, programMajor } from '../local/binaries.js';
import { type PrivateStart, privateStart } from '../local/private-start.js';
import { SalvageFailedError } from './errors.js';

/**
 * Starts an old primary's data directory so that only `db rejoin` can read it
 * (local/private-start.ts: no TCP, a Unix socket in a fresh private folder that only the
 * server's OS user and root may use, `trust` there and nowhere else), sessions read-only by
 * default, no autovacuum, no archiving, no synchronous standbys to wait for. It runs as a primary
 * (hot standby would refuse a primary's settings it cannot match), so the only thing it writes is
 * its shutdown checkpoint. Signal files are moved away while it runs and put back, so a fenced
 * node's standby.signal survives.
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
  let server: PrivateStart;
  try {
    server = await privateStart({
      dataDir: options.dataDir,
      binDir,
      osUser: options.osUser,
      folderPrefix: 'voipdb-salvage-',
      hba: 'local all all trust\n',
      settings: {
        default_transaction_read_only: 'on',
        autovacuum: 'off',
        archive_mode: 'off',
        synchronous_standby_names: "''",
      },
      wait: 'accepting',
    });
  } catch (error) {
    await restore();
    throw new SalvageFailedError(
      `could not start the old primary's data directory privately to read what it wrote after the fork: ${(error as Error).message}; nothing was changed`,
      'fix what the server log names, or run again with --no-salvage (the old directory is still kept aside, unread)',
      { cause: error },
    );
  }
  return {
    config: (database) => ({ host: server.dir, port: server.port, user: options.user, database, applicationName: 'voipdb-rejoin-salvage' }),
    stop: async () => {
      await server.stop();
      await restore();
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

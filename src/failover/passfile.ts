import { createReadStream, promises as fs } from 'node:fs';
import { getPassword } from 'pgpass/lib/helper.js';
import type { OsUser } from '../local/cluster.js';
import { PassfileInvalidError } from './errors.js';

/**
 * The standby reads the replicator's password from a libpq passfile named in primary_conninfo,
 * so the password is never written into postgresql.auto.conf. libpq silently ignores a passfile
 * that group or others can read, and the server (not this command) reads it: check both here,
 * and that a line matches the replication connection, instead of finding out from a standby
 * that never connects.
 */
export async function checkReplicationPassfile(
  file: string,
  target: { host: string; port: number; user: string },
  osUser: OsUser | undefined,
): Promise<void> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    throw new PassfileInvalidError(
      `passfile ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      `create it (mode 0600, owned by the server's OS user) with the line ${target.host}:${target.port}:replication:${target.user}:<password>, or pass --passfile`,
    );
  }
  if (!stat.isFile()) throw new PassfileInvalidError(`passfile ${file} is not a plain file`, 'pass the path of a libpq password file');
  if ((stat.mode & 0o077) !== 0) {
    throw new PassfileInvalidError(
      `passfile ${file} has mode ${(stat.mode & 0o777).toString(8)}: libpq ignores a password file that group or others can access`,
      `chmod 600 ${file}`,
    );
  }
  if (osUser && stat.uid !== osUser.uid) {
    throw new PassfileInvalidError(
      `passfile ${file} is owned by uid ${stat.uid}, but PostgreSQL runs as ${osUser.name} and cannot read a 0600 file it does not own`,
      `chown ${osUser.name} ${file}`,
    );
  }
  const password = await new Promise<string | undefined>((resolve) =>
    getPassword({ host: target.host, port: target.port, database: 'replication', user: target.user }, createReadStream(file), resolve),
  );
  if (password === undefined || password === '') {
    throw new PassfileInvalidError(
      `passfile ${file} has no line for ${target.user}@${target.host}:${target.port} (database "replication")`,
      `add the line ${target.host}:${target.port}:replication:${target.user}:<password> (or * for the database)`,
    );
  }
}

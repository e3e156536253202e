import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { OsUser } from '../../src/local/cluster.js';

const run = promisify(execFile);

export interface TestCertificates {
  /** The CA that signed the server's certificate. */
  caCert: string;
  /** Another CA, which signed nothing the server has. */
  otherCaCert: string;
  serverCert: string;
  serverKey: string;
}

/**
 * A throwaway CA and a server certificate for `localhost` only (subjectAltName DNS:localhost,
 * no IP address), made with the openssl command line (Debian's openssl package; .ci/run
 * installs it). Connecting by 127.0.0.1 with verify-full is therefore a host name mismatch.
 * The server's files are handed to the server's OS user, the key with mode 0600.
 */
export async function makeTestCertificates(dir: string, osUser: OsUser | undefined): Promise<TestCertificates> {
  await fs.mkdir(dir, { recursive: true });
  const file = (name: string): string => path.join(dir, name);
  const openssl = async (args: string[]): Promise<void> => {
    try {
      await run('openssl', args, { cwd: dir });
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install openssl (.ci/run installs it)');
      throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    await openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.crt`),
      '-days',
      '2',
      '-subj',
      `/CN=voipdb test ${name}`,
    ]);
  }
  await openssl(['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  await fs.writeFile(
    file('server.ext'),
    'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  ]);
  await fs.chmod(dir, 0o755);
  for (const name of ['server.crt', 'server.key']) {
    await fs.chmod(file(name), name.endsWith('.key') ? 0o600 : 0o644);
    if (osUser) await fs.chown(file(name), osUser.uid, osUser.gid);
  }
  for (const name of ['ca.crt', 'other-ca.crt']) await fs.chmod(file(name), 0o644);
  return { caCert: file('ca.crt'), otherCaCert: file('other-ca.crt'), serverCert: file('server.crt'), serverKey: file('server.key') };
}

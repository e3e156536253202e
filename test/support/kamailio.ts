import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Debian bookworm's Kamailio 5.6.3, its PostgreSQL module and sipp (package `sip-tester`), for
 * the Kamailio tests. The .debs are fetched with `apt-get download` into the git-ignored
 * .cache/debs and unpacked with `dpkg -x`: nothing is installed, so the package's service is
 * never started. Needs apt lists (`apt-get update`) and access to Debian's archive the first
 * time; afterwards the cache is reused. Any failure names what is missing.
 */
export const KAMAILIO_PACKAGES = [
  'kamailio',
  'kamailio-postgres-modules',
  'sip-tester',
  // Runtime libraries that kamailio's modules (lcr, dialplan: libpcre3; db_postgres: libpq5)
  // and sipp need, and that a minimal Debian 12 does not have.
  'libpcre3',
  'libpq5',
  'libgsl27',
  'libgslcblas0',
  'libpcap0.8',
  'libsctp1',
] as const;

const CACHE_DIR = path.resolve(import.meta.dirname, '../../.cache/debs');
const ROOT_DIR = path.join(CACHE_DIR, 'root');
const MARKER = path.join(ROOT_DIR, '.voipdb-complete');
const LIB_ARCH = 'x86_64-linux-gnu';

export interface KamailioInstall {
  root: string;
  kamailio: string;
  sipp: string;
  modulesDir: string;
  /** Kamailio's own PostgreSQL scripts (`<module>-create.sql`) of the unpacked 5.6.3 package. */
  postgresScriptsDir: string;
  /** Environment for spawning kamailio and sipp from the unpacked tree. */
  env: NodeJS.ProcessEnv;
}

function describeInstall(root: string): KamailioInstall {
  const libDirs = [`usr/lib/${LIB_ARCH}/kamailio`, `usr/lib/${LIB_ARCH}`, `lib/${LIB_ARCH}`].map((d) => path.join(root, d));
  return {
    root,
    kamailio: path.join(root, 'usr/sbin/kamailio'),
    sipp: path.join(root, 'usr/bin/sipp'),
    modulesDir: path.join(root, `usr/lib/${LIB_ARCH}/kamailio/modules`),
    postgresScriptsDir: path.join(root, 'usr/share/kamailio/postgres'),
    env: { ...process.env, LD_LIBRARY_PATH: [...libDirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  };
}

let pending: Promise<KamailioInstall> | undefined;

/** The unpacked packages, downloading and unpacking them on first use. */
export function ensureKamailio(): Promise<KamailioInstall> {
  pending ??= prepare();
  return pending;
}

async function prepare(): Promise<KamailioInstall> {
  if (!existsSync(MARKER)) await downloadAndUnpack();
  const install = describeInstall(ROOT_DIR);
  await checkRunnable(install);
  return install;
}

async function downloadAndUnpack(): Promise<void> {
  await fs.mkdir(CACHE_DIR, { recursive: true });
  const present = new Set(await fs.readdir(CACHE_DIR));
  const missing = KAMAILIO_PACKAGES.filter((p) => ![...present].some((f) => f.startsWith(`${p}_`) && f.endsWith('.deb')));
  if (missing.length > 0) {
    try {
      await run('apt-get', ['download', ...missing], { cwd: CACHE_DIR, timeout: 300_000 });
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
      throw new Error(
        `cannot download the Debian packages ${missing.join(', ')} with apt-get download: ${stderr.trim()}\n` +
          'The Kamailio tests need Debian 12 (bookworm) apt sources with network access to the archive; run `apt-get update` first (CI: .ci/run).',
      );
    }
  }
  // Unpack into a private folder and move it into place, so that two test files starting at
  // the same time never see a half-unpacked tree.
  const staging = await fs.mkdtemp(path.join(CACHE_DIR, 'unpack-'));
  const debs = (await fs.readdir(CACHE_DIR)).filter((f) => f.endsWith('.deb'));
  for (const deb of debs) {
    await run('dpkg', ['-x', path.join(CACHE_DIR, deb), staging]);
  }
  await fs.writeFile(path.join(staging, '.voipdb-complete'), `${debs.sort().join('\n')}\n`);
  try {
    await fs.rename(staging, ROOT_DIR);
  } catch {
    // Another worker won the race; its tree is complete (the marker is written before the rename).
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Fails with the names of shared libraries the binaries cannot find, and checks the versions. */
async function checkRunnable(install: KamailioInstall): Promise<void> {
  const binaries = [
    install.kamailio,
    install.sipp,
    ...['db_postgres', 'lcr', 'dialplan', 'auth_db', 'usrloc'].map((m) => path.join(install.modulesDir, `${m}.so`)),
  ];
  const missingFiles = binaries.filter((b) => !existsSync(b));
  if (missingFiles.length > 0)
    throw new Error(`the unpacked Kamailio packages lack ${missingFiles.join(', ')}; delete ${CACHE_DIR} and run again`);
  const notFound = new Set<string>();
  for (const binary of binaries) {
    const { stdout } = await run('ldd', [binary], { env: install.env });
    for (const line of stdout.split('\n')) {
      const match = /^\s*(\S+) => not found/.exec(line);
      if (match) notFound.add(match[1]!);
    }
  }
  if (notFound.size > 0) {
    throw new Error(
      `kamailio/sipp cannot find the shared libraries ${[...notFound].join(', ')}; install the Debian packages that provide them (apt-file search), or add them to KAMAILIO_PACKAGES in test/support/kamailio.ts`,
    );
  }
  const { stdout } = await run(install.kamailio, ['-v'], { env: install.env });
  if (!/kamailio 5\.6\.3/.test(stdout)) throw new Error(`expected kamailio 5.6.3 from Debian bookworm, got: ${stdout.split('\n')[0]}`);
}

/**
 * `npm audit` over the packages bundled into dist/vendor/ (run by .ci/run after the build).
 * A service that installs voipdb never sees these packages in its own tree, so its `npm audit`
 * cannot report them: this does, from dist/vendor/bundled-packages.json. npm audit reads a
 * lockfile, so the list is written as one (package.json + package-lock.json, every bundled
 * package at the version bundled) into a temporary folder and audited there with
 * --package-lock-only: nothing is installed.
 *
 * Level: an advisory rated high or critical fails (exit 1); low and moderate ones are printed and
 * pass. The bundled code runs only on a non-ASCII role password, offline, so a moderate finding
 * is left to the next dependency update rather than stopping every merge. Both outcomes can
 * change without a commit of ours (an advisory is published, the registry does not answer):
 * the message says so, and exit 2 means the audit could not run at all.
 * `--dist <dir>` audits another build (default: dist/ of this checkout).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLED_PACKAGES_FILE, type BundledPackage } from './build/vendor.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FAILING = ['high', 'critical'];

/** package.json and package-lock.json (v3) of a project whose dependencies are exactly the bundled packages. */
export function auditProject(packages: readonly BundledPackage[]): { manifest: object; lock: object } {
  const dependencies: Record<string, string> = {};
  const entries: Record<string, { version: string; license: string }> = {};
  for (const p of packages) {
    // Two versions of one package (bundled by two different entries) cannot share a path: the
    // second goes under a folder of its own, as npm nests a conflicting version.
    const at =
      dependencies[p.name] === undefined ? `node_modules/${p.name}` : `node_modules/voipdb-vendored-${p.version}/node_modules/${p.name}`;
    if (dependencies[p.name] === undefined) dependencies[p.name] = p.version;
    entries[at] = { version: p.version, license: p.license };
  }
  const name = 'voipdb-vendored-audit';
  return {
    manifest: { name, version: '0.0.0', private: true, dependencies },
    lock: {
      name,
      version: '0.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name, version: '0.0.0', dependencies }, ...entries },
    },
  };
}

interface AuditReport {
  error?: { summary?: string; detail?: string };
  message?: string;
  vulnerabilities?: Record<string, { severity: string; range?: string; via: (string | { title?: string; url?: string })[] }>;
}

function runAudit(dir: string): Promise<AuditReport> {
  return new Promise((resolve) => {
    execFile('npm', ['audit', '--package-lock-only', '--json'], { cwd: dir, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      // npm audit exits non-zero both on findings and on failures: its JSON tells which.
      try {
        resolve(JSON.parse(stdout) as AuditReport);
      } catch {
        resolve({ message: `npm audit gave no report (${error?.message ?? 'no output'})` });
      }
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('--dist');
  const dist = at === -1 ? path.join(ROOT, 'dist') : path.resolve(argv[at + 1] ?? '.');
  const listFile = path.join(dist, 'vendor', BUNDLED_PACKAGES_FILE);
  const { packages } = JSON.parse(await fs.readFile(listFile, 'utf8')) as { packages: BundledPackage[] };
  console.log(`auditing ${packages.length} bundled package(s): ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-vendored-audit-'));
  try {
    const { manifest, lock } = auditProject(packages);
    await fs.writeFile(path.join(work, 'package.json'), JSON.stringify(manifest, null, 2));
    await fs.writeFile(path.join(work, 'package-lock.json'), JSON.stringify(lock, null, 2));
    const report = await runAudit(work);
    if (!report.vulnerabilities) {
      const why = report.message ?? report.error?.summary ?? 'no vulnerabilities section in its report';
      console.error(`the audit of the bundled packages could not run: ${why}`);
      console.error('This is the registry or the network, not a finding in voipdb: run .ci/run again when the registry answers.');
      return 2;
    }
    const findings = Object.entries(report.vulnerabilities);
    for (const [name, v] of findings) {
      const titles = v.via.map((via) => (typeof via === 'string' ? `via ${via}` : `${via.title ?? ''} ${via.url ?? ''}`.trim()));
      console.log(`${v.severity}: ${name} ${v.range ?? ''}: ${titles.join('; ')}`);
    }
    const failing = findings.filter(([, v]) => FAILING.includes(v.severity));
    if (failing.length > 0) {
      console.error(
        `${failing.length} bundled package(s) with a ${FAILING.join(' or ')} advisory: ${failing.map(([n]) => n).join(', ')}. ` +
          'An advisory published since the last build can cause this without any change here: update the devDependency ' +
          '(npm update <package>), run npm run build and commit the new lockfile.',
      );
      return 1;
    }
    console.log(`no ${FAILING.join(' or ')} advisory against the bundled packages (${findings.length} lower finding(s) listed above)`);
    return 0;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}

import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../lib/context.js';
import { figure, type Figure } from '../lib/figure.js';
import { runProcess } from '../lib/processes.js';
import { interleave, median } from '../lib/stats.js';

const INSTALL = ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

/**
 * 8. What a service pays for voipdb: the packed tarball installed with `npm install --omit=dev`
 * into an empty project, against a project with only kysely and pg (the versions voipdb uses):
 * the installed size of node_modules, and the time of `import('voipdb')` against importing
 * kysely and pg, each in a fresh Node process (the import only, not Node's own start).
 */
export async function benchPackage(runs: number): Promise<Figure[]> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-bench-package-'));
  try {
    // The bench built dist/ already; --ignore-scripts keeps "prepare" from building it again.
    const packed = await runProcess('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: REPO });
    const tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    const versions = await Promise.all(
      ['kysely', 'pg'].map(async (name) => {
        const manifest = JSON.parse(await fs.readFile(path.join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string;
        };
        return `${name}@${manifest.version}`;
      }),
    );
    const service = await project(work, 'service', [tarball]);
    const floor = await project(work, 'floor', versions);

    const [serviceBytes, floorBytes] = [await treeBytes(service), await treeBytes(floor)];
    const added = await sizeByDependency(service, floor);
    const imports = await interleave(
      runs,
      () => importMs(service, "await import('voipdb')"),
      () => importMs(floor, "await import('kysely'); await import('pg')"),
    );
    return [
      figure({
        id: '8 install-size',
        what: 'service: npm install --omit=dev voipdb tarball, node_modules',
        unit: 'MB',
        value: serviceBytes / 1e6,
        samples: [serviceBytes / 1e6],
        floorWhat: `project with only ${versions.join(' and ')}`,
        floor: floorBytes / 1e6,
        floorSamples: [floorBytes / 1e6],
        target: { op: '<=', ratio: 1.3 },
        note: `beyond the floor, by runtime dependency (with what it pulls in): ${added}`,
      }),
      figure({
        id: '8 import',
        what: "import('voipdb') in a fresh node process",
        unit: 'ms',
        value: median(imports.measured),
        samples: imports.measured,
        floorWhat: "import('kysely') and import('pg')",
        floor: median(imports.floor),
        floorSamples: imports.floor,
        target: { op: '<=', ratio: 1.2 },
      }),
    ];
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function project(work: string, name: string, packages: string[]): Promise<string> {
  const dir = path.join(work, name);
  await fs.mkdir(dir);
  await fs.writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: `bench-${name}`, version: '0.0.0', private: true })}\n`);
  await runProcess('npm', [...INSTALL, ...packages], { cwd: dir, env: withoutNpmConfig() });
  return dir;
}

/** An outer `npm run bench` exports npm_config_* (its own flags): the installs must not inherit them. */
function withoutNpmConfig(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).map(([k, v]) => [k, k.toLowerCase().startsWith('npm_') ? undefined : v]));
}

/** Apparent size of every file under node_modules (what a deploy copies), in bytes. */
function treeBytes(project: string): Promise<number> {
  return bytesUnder(path.join(project, 'node_modules'));
}

async function bytesUnder(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) total += await bytesUnder(full);
    else if (entry.isFile()) total += (await fs.stat(full)).size;
  }
  return total;
}

interface LsNode {
  path?: string;
  dependencies?: Record<string, LsNode>;
}

/**
 * What voipdb adds beyond the floor, by its runtime dependency: each one's own folder and those of
 * the packages it pulls in that the floor does not have (a package shared by two is counted once,
 * under the first), biggest first, and voipdb itself.
 */
async function sizeByDependency(service: string, floor: string): Promise<string> {
  const tree = (dir: string): Promise<LsNode> =>
    runProcess('npm', ['ls', '--all', '--json', '--long', '--omit=dev'], { cwd: dir, allowFailure: true }).then(
      (r) => JSON.parse(r.stdout) as LsNode,
    );
  const paths = (node: LsNode, into: Set<string>): Set<string> => {
    if (node.path && !into.has(node.path)) into.add(node.path);
    for (const child of Object.values(node.dependencies ?? {})) paths(child, into);
    return into;
  };
  const floorNames = new Set([...paths(await tree(floor), new Set())].map((p) => path.relative(path.join(floor, 'node_modules'), p)));
  const voipdb = (await tree(service)).dependencies?.voipdb;
  const counted = new Set<string>();
  const parts: { name: string; bytes: number }[] = [];
  for (const [name, node] of Object.entries(voipdb?.dependencies ?? {})) {
    if (!node.path) continue; // an optional peer dependency that is not installed
    const own = [...paths(node, new Set())].filter(
      (p) => !counted.has(p) && !floorNames.has(path.relative(path.join(service, 'node_modules'), p)),
    );
    for (const p of own) counted.add(p);
    // A nested node_modules is part of its parent's folder: count top folders only.
    const tops = own.filter((p) => !own.some((q) => q !== p && p.startsWith(`${q}${path.sep}`)));
    const bytes = (await Promise.all(tops.map(bytesUnder))).reduce((a, b) => a + b, 0);
    if (bytes > 0) parts.push({ name, bytes });
  }
  if (voipdb?.path) parts.push({ name: 'voipdb itself', bytes: await bytesUnder(voipdb.path).catch(() => 0) });
  return parts
    .sort((a, b) => b.bytes - a.bytes)
    .map((p) => `${p.name} ${(p.bytes / 1e6).toFixed(2)} MB`)
    .join(', ');
}

/** Milliseconds the given imports take inside a new Node process started in `dir`. */
async function importMs(dir: string, imports: string): Promise<number> {
  const code = `const t = performance.now(); ${imports}; process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await runProcess(process.execPath, ['--input-type=module', '-e', code], { cwd: dir });
  return Number(stdout);
}

/**
 * `npm run build`: dist/ as the package ships it. Four steps, each in its own module:
 * 1. the JavaScript (tsconfig.build.json), without comments: the reasons behind the code live in
 *    src/, and an installed copy is not where anyone reads them;
 * 2. the declarations (tsconfig.types.json), with their doc comments, which editors show;
 * 3. the declarations no export of package.json reaches are removed (internals, not API);
 * 4. the vendored bundles of src/vendor replace their compiled re-exports.
 * `--out-dir <dir>` builds elsewhere (the packed-package test stages the package that way).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pruneDeclarations } from './build/prune-declarations.js';
import { bundleVendored } from './build/vendor.js';
import { type PackageManifest, packageManifest } from '../src/package-manifest.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

function outDirArgument(argv: readonly string[]): string {
  const at = argv.indexOf('--out-dir');
  if (at === -1) return path.join(ROOT, 'dist');
  const value = argv[at + 1];
  if (!value) throw new Error('--out-dir needs a folder');
  return path.resolve(value);
}

async function tsc(project: string, outDir: string): Promise<void> {
  const compiler = path.join(ROOT, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [compiler, '-p', path.join(ROOT, project), '--outDir', outDir], { cwd: ROOT }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`tsc -p ${project} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
}

const outDir = outDirArgument(process.argv.slice(2));
try {
  // Whatever an earlier build left (a module since removed) must not be packed.
  await fs.rm(outDir, { recursive: true, force: true });
  await Promise.all([tsc('tsconfig.build.json', outDir), tsc('tsconfig.types.json', outDir)]);
  const manifest = packageManifest();
  // dist/ was made anew: npm made the bin executable when it installed, so must the build (`npx db`).
  for (const bin of Object.values(manifest.bin)) await fs.chmod(path.join(outDir, path.relative('dist', bin)), 0o755);
  const removed = await pruneDeclarations(outDir, exportedDeclarations(manifest));
  const bundles = await bundleVendored({ root: ROOT, sourceDir: path.join(ROOT, 'src/vendor'), outDir: path.join(outDir, 'vendor') });
  console.log(
    `built ${path.relative(ROOT, outDir) || '.'}: ${removed} internal declaration files left out, vendored ${bundles.join(', ')}`,
  );
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}

/** The declaration files package.json's exports name, relative to dist/. */
function exportedDeclarations(manifest: PackageManifest): string[] {
  return Object.values(manifest.exports).flatMap((entry) => (entry.types ? [path.relative('dist', entry.types)] : []));
}

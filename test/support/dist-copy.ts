import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/**
 * A throwaway copy of the built dist/ in which each named module (a path under dist/) throws as
 * soon as it is loaded: runs from the copy prove which modules a path does not load. The copy
 * has the repository's package.json and sees its node_modules through a link. Removed when `use` ends.
 */
export async function withPoisonedDist<T>(modules: readonly string[], use: (dist: string) => Promise<T>): Promise<T> {
  const built = path.join(REPO_ROOT, 'dist');
  await fs.access(path.join(built, 'index.js')).catch(() => {
    throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`);
  });
  const copy = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-dist-copy-'));
  try {
    await fs.cp(built, path.join(copy, 'dist'), { recursive: true });
    // Beside dist/ as in the package: the CLI reads its version and optional packages there.
    await fs.copyFile(path.join(REPO_ROOT, 'package.json'), path.join(copy, 'package.json'));
    await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    for (const module of modules) {
      await fs.access(path.join(copy, 'dist', module)); // a module that is not there proves nothing
      await fs.writeFile(path.join(copy, 'dist', module), `throw new Error(${JSON.stringify(`${module} was loaded`)});\n`);
    }
    return await use(path.join(copy, 'dist'));
  } finally {
    await fs.rm(copy, { recursive: true, force: true });
  }
}

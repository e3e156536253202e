import path from 'node:path';
import { REPO_ROOT } from './cli.js';
import { fingerprintTree } from './dist-fingerprint.js';

/**
 * Global setup of the whole run (the root of vitest.config.ts, once, whichever projects run):
 * the suite must never change the tree it tests (see fingerprintTree), so dist/ is fingerprinted
 * before the first test file and after the last, and the run fails if it changed. The servers
 * are the 'servers' project's own setup (servers-setup.ts).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dist = path.join(REPO_ROOT, 'dist');
  const before = await fingerprintTree(dist);
  return async () => {
    const after = await fingerprintTree(dist);
    if (after !== before) {
      // vitest prints an error thrown here but still exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`dist/ changed while the tests ran (before: ${before}; after: ${after}): a test rebuilt the repository's dist/`);
    }
  };
}

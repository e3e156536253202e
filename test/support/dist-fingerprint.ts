import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * One hash over every file under `dir` (relative path, inode, mode, modification time and bytes), in
 * a fixed order: the build is deterministic, so a rebuild is seen by its new files, not its bytes. The global
 * setup takes it of the repository's dist/ before any test runs and again after the last: the CLI
 * tests run `node dist/cli/main.js` from that tree, so anything that rebuilds or removes it while the
 * suite runs (npx running the package's `prepare`, a build into the repository) makes other test
 * files fail at random. A test that needs a build of its own builds into a folder of its own.
 */
export async function fingerprintTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = (await fs.readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) {
    const [stat, bytes] = await Promise.all([fs.stat(file), fs.readFile(file)]);
    hash.update(`${path.relative(dir, file)}\0${stat.ino}\0${stat.mode}\0${stat.mtimeMs}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return `${files.length} files, sha256 ${hash.digest('hex')}`;
}

import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Removes every .d.ts under `outDir` that the entry declarations do not reach through their
 * relative imports (`from './x.js'`, `import('./x.js')`): what a service's compiler can see is
 * the package's API, and the CLI's internals (about two thirds of the files) are not. The
 * packed-package test compiles a consumer with skipLibCheck off, so a declaration removed wrongly
 * fails there. Returns how many files were removed.
 */
export async function pruneDeclarations(outDir: string, entries: readonly string[]): Promise<number> {
  const reached = new Set<string>();
  const pending = entries.map((entry) => path.join(outDir, entry));
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (reached.has(file)) continue;
    const text = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`${path.relative(outDir, file)}: ${error.code === 'ENOENT' ? 'no such declaration file' : error.message}`);
    });
    reached.add(file);
    for (const match of text.matchAll(/(?:\bfrom\s+|\bimport\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      pending.push(path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.d.ts')));
    }
  }
  let removed = 0;
  for (const file of await declarationFiles(outDir)) {
    if (reached.has(file)) continue;
    await fs.rm(file);
    removed += 1;
  }
  return removed;
}

async function declarationFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.d.ts')) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

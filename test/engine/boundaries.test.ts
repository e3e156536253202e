import { promises as fs } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Every module specifier a file names: static imports and re-exports, and dynamic import('…'). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(match[1]!);
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1]!);
  return found;
}

/** `../errors.js` from src/engine/x.ts -> "errors.ts"; a package stays its name; node: builtins -> "node:". */
function target(file: string, specifier: string): string {
  if (specifier.startsWith('.')) return path.relative(SRC, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts');
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return 'node:';
  return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
}

async function outsideImports(folder: string, allowed: (target: string) => boolean): Promise<{ imports: number; outside: string[] }> {
  const dir = path.join(SRC, folder);
  const outside: string[] = [];
  let imports = 0;
  for (const name of (await fs.readdir(dir)).filter((n) => n.endsWith('.ts'))) {
    const file = path.join(dir, name);
    for (const specifier of specifiers(await fs.readFile(file, 'utf8'))) {
      imports += 1;
      const to = target(file, specifier);
      if (!allowed(to)) outside.push(`${folder}/${name} imports ${specifier}`);
    }
  }
  return { imports, outside };
}

const under =
  (...folders: string[]) =>
  (to: string) =>
    folders.some((f) => to.startsWith(`${f}/`));

describe('module boundaries (a static scan of the imports)', () => {
  it('src/engine depends only on config, database access, SQL parsing and errors', async () => {
    const allowed = (to: string): boolean =>
      under('engine', 'config', 'database', 'sql')(to) ||
      ['errors.ts', 'vendor/umzug.ts'].includes(to) ||
      ['node:', 'pg', 'kysely'].includes(to);
    const { imports, outside } = await outsideImports('engine', allowed);
    expect(imports).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });

  it('src/client depends only on config, database access, errors, the generated types, the pure VoIP helpers and its bundled LRU', async () => {
    const allowed = (to: string): boolean =>
      under('client', 'config', 'database', 'generated')(to) ||
      ['errors.ts', 'voip/cdr-row.ts', 'voip/cdr.ts', 'voip/credentials.ts', 'vendor/lru-cache.ts'].includes(to) ||
      ['node:', 'pg', 'kysely'].includes(to);
    const { imports, outside } = await outsideImports('client', allowed);
    expect(imports).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });

  it('src imports only what an install brings: runtime dependencies, optional peers, and devDependencies only in src/vendor (bundled)', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(SRC, '../package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const installed = new Set([...Object.keys(manifest.dependencies!), ...Object.keys(manifest.peerDependencies!)]);
    const wrong: string[] = [];
    let packages = 0;
    for (const entry of await fs.readdir(SRC, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const file = path.join(entry.parentPath, entry.name);
      const vendored = path.relative(SRC, file).startsWith(`vendor${path.sep}`);
      for (const specifier of specifiers(await fs.readFile(file, 'utf8'))) {
        const to = target(file, specifier);
        if (specifier.startsWith('.') || to === 'node:') continue;
        packages += 1;
        const ok = vendored ? to in manifest.devDependencies! && !installed.has(to) : installed.has(to);
        if (!ok) wrong.push(`${path.relative(SRC, file)} imports ${specifier}`);
      }
    }
    expect(packages).toBeGreaterThan(10);
    expect(wrong).toEqual([]);
  });

  it('the scan sees what it must refuse', () => {
    expect(
      specifiers("import { x } from '../roles/index.js';\nconst m = await import('../voip/seed.js');").map((s) =>
        target(path.join(SRC, 'engine/a.ts'), s),
      ),
    ).toEqual(['roles/index.ts', 'voip/seed.ts']);
  });
});

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

/** Every module of src/ (path relative to src/, .ts) and the modules of src/ it imports, types included. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const entry of await fs.readdir(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const local = specifiers(await fs.readFile(file, 'utf8')).filter((s) => s.startsWith('.'));
    graph.set(
      path.relative(SRC, file),
      local.map((s) => target(file, s)),
    );
  }
  return graph;
}

/** The import cycles of a graph, each as a path that returns to its start (a -> b -> a); none: []. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  // Tarjan's strongly connected components; a component of more than one node, or a node that
  // imports itself, is a loop. One path through each is reported, to say where to cut.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component = new Set<string>();
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      onStack.delete(member);
      component.add(member);
      if (member === node) break;
    }
    if (component.size > 1 || (graph.get(node) ?? []).includes(node)) found.push(loopThrough(node, component, graph));
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

/** A shortest path from `start` back to itself inside its component. */
function loopThrough(start: string, component: ReadonlySet<string>, graph: ReadonlyMap<string, readonly string[]>): string {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start].join(' -> ');
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return start;
}

/** A module's area: its folder under src/ (engine, roles, ...), or the file itself at the top (errors.ts). */
const areaOf = (module: string): string => module.split('/')[0]!;

/** The areas and the areas they import (an area's imports of itself left out). */
function areaGraph(graph: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const areas = new Map<string, Set<string>>();
  for (const [from, tos] of graph) {
    const set = areas.get(areaOf(from)) ?? new Set<string>();
    for (const to of tos) if (areaOf(to) !== areaOf(from)) set.add(areaOf(to));
    areas.set(areaOf(from), set);
  }
  return new Map([...areas].map(([a, set]) => [a, [...set].sort()]));
}

/**
 * The layers, lowest first: an area may import its own layer's areas (the area graph has no
 * loop) and those of lower layers, never a higher one. An area not named here (a new one) is
 * a domain area. The CLI is the top: nothing else imports it.
 */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['errors.ts', 'package-manifest.ts', 'optional-package.ts', 'vendor', 'generated', 'types'],
  ['config', 'sql', 'kamailio'],
  ['database'],
  ['engine'],
  [], // the domain areas: adopt, client, doctor, failover, local, platform, roles, schema, topology, voip, ...
  ['index.ts', 'migrate'],
  ['cli'],
];
const DOMAIN_LAYER = 4;
const layerOf = (area: string): number => {
  const at = LAYERS.findIndex((names) => names.includes(area));
  return at === -1 ? DOMAIN_LAYER : at;
};

function layerViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const wrong: string[] = [];
  for (const [from, tos] of graph) {
    for (const to of tos) {
      if (layerOf(areaOf(to)) > layerOf(areaOf(from))) wrong.push(`${from} imports ${to}`);
    }
  }
  return wrong;
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
  it('src/engine depends only on config, database access, SQL parsing, errors and the optional-package loader', async () => {
    const allowed = (to: string): boolean =>
      under('engine', 'config', 'database', 'sql')(to) ||
      ['errors.ts', 'optional-package.ts'].includes(to) ||
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

  it('src has no import cycle, between modules (type imports included) or between areas', async () => {
    const graph = await importGraph();
    expect(graph.size).toBeGreaterThan(150);
    expect(cycles(graph)).toEqual([]);
    expect(cycles(areaGraph(graph))).toEqual([]);
  });

  it('the layers hold: config < database < engine < the domain areas < the entry points < cli; nothing below imports the CLI', async () => {
    const graph = await importGraph();
    expect(layerViolations(graph)).toEqual([]);
    expect([...graph].filter(([from, tos]) => areaOf(from) !== 'cli' && tos.some((to) => areaOf(to) === 'cli'))).toEqual([]);
  });

  it('the cycle and layer checks see what they must refuse', () => {
    const loop = new Map([
      ['roles/a.ts', ['schema/b.ts']],
      ['schema/b.ts', ['schema/c.ts']],
      ['schema/c.ts', ['roles/a.ts', 'config/d.ts']],
      ['config/d.ts', []],
      ['errors.ts', ['errors.ts']],
    ]);
    expect(cycles(loop)).toEqual(['errors.ts -> errors.ts', 'roles/a.ts -> schema/b.ts -> schema/c.ts -> roles/a.ts']);
    expect(
      cycles(
        areaGraph(
          new Map([
            ['roles/a.ts', ['schema/b.ts']],
            ['schema/b.ts', ['schema/c.ts']],
            ['schema/c.ts', []],
            ['schema/x.ts', ['roles/y.ts']],
          ]),
        ),
      ),
    ).toEqual(['roles -> schema -> roles']);
    expect(
      cycles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
    expect(
      layerViolations(
        new Map([
          ['database/a.ts', ['engine/b.ts', 'config/c.ts']],
          ['backup/x.ts', ['cli/y.ts', 'engine/z.ts']],
        ]),
      ),
    ).toEqual(['database/a.ts imports engine/b.ts', 'backup/x.ts imports cli/y.ts']);
  });

  it('the scan sees what it must refuse', () => {
    expect(
      specifiers("import { x } from '../roles/index.js';\nconst m = await import('../voip/seed.js');").map((s) =>
        target(path.join(SRC, 'engine/a.ts'), s),
      ),
    ).toEqual(['roles/index.ts', 'voip/seed.ts']);
  });
});

import { readFileSync } from 'node:fs';

/** What voipdb reads from its own package.json. */
export interface PackageManifest {
  name: string;
  version: string;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  /** For the build (scripts/build.ts): the bins it makes executable, the declarations it keeps. */
  bin: Record<string, string>;
  exports: Record<string, { types?: string }>;
}

let cached: PackageManifest | undefined;

/** voipdb's own package.json, read once: the installed version's, wherever the package sits. */
export function packageManifest(): PackageManifest {
  // dist/package-manifest.js and src/package-manifest.ts both sit one level below package.json.
  cached ??= JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as PackageManifest;
  return cached;
}

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditProject } from '../../scripts/audit-vendored.js';
import { BUNDLE_CONTENTS, BUNDLED_PACKAGES_FILE, type BundledPackage, checkBundleContents } from '../../scripts/build/vendor.js';
import { REPO_ROOT } from '../support/cli.js';

const VENDOR = path.join(REPO_ROOT, 'dist/vendor');

describe('vendored bundles (dist/vendor, as npm run build made them)', () => {
  it('are readable: unminified, each with its source map and the sources in it', async () => {
    for (const bundle of Object.keys(BUNDLE_CONTENTS)) {
      const code = await fs.readFile(path.join(VENDOR, `${bundle}.js`), 'utf8');
      expect(code).toMatch(new RegExp(`//# sourceMappingURL=${bundle}\\.js\\.map\\n$`));
      // Minified code is a few very long lines; readable code is many short ones (a data string may be long).
      const lines = code.split('\n');
      expect(lines.length).toBeGreaterThan(100);
      expect(lines.filter((l) => l.length > 200).length).toBeLessThanOrEqual(lines.length / 20);
      const map = JSON.parse(await fs.readFile(path.join(VENDOR, `${bundle}.js.map`), 'utf8')) as {
        sources: string[];
        sourcesContent: string[];
      };
      expect(map.sources.length).toBeGreaterThan(0);
      expect(map.sourcesContent).toHaveLength(map.sources.length);
    }
  });

  it('list every bundled package with its version, as the licence notices name them', async () => {
    const { packages } = JSON.parse(await fs.readFile(path.join(VENDOR, BUNDLED_PACKAGES_FILE), 'utf8')) as { packages: BundledPackage[] };
    const notices = await fs.readFile(path.join(VENDOR, 'THIRD-PARTY-NOTICES.txt'), 'utf8');
    const named = [...notices.matchAll(/^(\S+@\d\S*) \(/gm)].map((m) => m[1]).sort();
    expect(packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(named);
    expect(packages.map((p) => p.name).sort()).toEqual(Object.values(BUNDLE_CONTENTS).flat().sort());
  });

  it('the build refuses a bundle holding a package not listed for it, e.g. a command-line front end', () => {
    expect(() => checkBundleContents('saslprep', ['@mongodb-js/saslprep', 'memory-pager'])).not.toThrow();
    expect(() => checkBundleContents('saslprep', ['@mongodb-js/saslprep', '@rushstack/ts-command-line', 'z-schema'])).toThrow(
      /would bundle @rushstack\/ts-command-line, z-schema, which BUNDLE_CONTENTS does not list/,
    );
    expect(() => checkBundleContents('umzug', ['umzug'])).toThrow(/no entry in BUNDLE_CONTENTS/);
  });

  it('are audited as a lockfile npm audit reads: each package at its version, a second version nested', () => {
    const { manifest, lock } = auditProject([
      { name: 'a', version: '1.0.0', license: 'MIT' },
      { name: 'a', version: '2.0.0', license: 'MIT' },
      { name: '@s/b', version: '3.1.4', license: 'ISC' },
    ]);
    expect(manifest).toMatchObject({ dependencies: { a: '1.0.0', '@s/b': '3.1.4' } });
    expect(lock).toMatchObject({
      lockfileVersion: 3,
      packages: {
        'node_modules/a': { version: '1.0.0' },
        'node_modules/voipdb-vendored-2.0.0/node_modules/a': { version: '2.0.0' },
        'node_modules/@s/b': { version: '3.1.4' },
      },
    });
  });
});

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT } from '../support/cli.js';
import { packageManifest } from '../../src/package-manifest.js';

const run = promisify(execFile);

describe('the db bin in the repository', () => {
  it('runs as `npx db` after a build: the build leaves dist/cli/main.js executable, as npm does when it installs', async () => {
    await fs.access(CLI, fs.constants.X_OK);
    const { version } = packageManifest();
    // npx runs the repository's own bin (package.json "bin"), as CI's `npx db stop` does. Without
    // ignore-scripts, npx prepares the folder as a package first: it runs `prepare` (npm run build),
    // which makes dist/ anew while other test files run the CLI from it.
    const { stdout } = await run('npx', ['--no', '--', 'db', '--version'], {
      cwd: REPO_ROOT,
      env: { ...process.env, npm_config_ignore_scripts: 'true' },
    });
    expect(stdout).toBe(`${version}\n`);
  });
});

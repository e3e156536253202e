import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withPoisonedDist } from '../support/dist-copy.js';
import { packageManifest } from '../../src/package-manifest.js';

const run = promisify(execFile);

/** `node <dist>/cli/main.js …args`: exit code and output, whatever the code. */
async function db(dist: string, args: string[]): Promise<{ code: number; out: string }> {
  return run(process.execPath, [path.join(dist, 'cli/main.js'), ...args], { env: { PATH: process.env.PATH, NO_COLOR: '1' } }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('the db command loads only the module of the command it runs', () => {
  it('runs migrate, doctor and partitions without loading failover, adoption or the schema tools, --version none; help loads them all', async () => {
    // Each poisoned module throws when loaded. They belong to other commands only.
    const others = ['cli/commands/promote.js', 'cli/commands/adopt.js', 'cli/commands/check.js', 'cli/commands/standby-clone.js'];
    await withPoisonedDist(others, async (dist) => {
      for (const command of ['migrate', 'doctor', 'partitions', 'status']) {
        const r = await db(dist, ['--verbose', command, '--help']);
        expect(r, command).toMatchObject({ code: 0 });
        expect(r.out).toContain(`Usage: db ${command}`);
      }
      // --version needs none: it prints the installed package's version.
      const { version } = packageManifest();
      expect(await db(dist, ['--version'])).toEqual({ code: 0, out: `${version}\n` });
      // The whole list (help, or a command it does not know) needs every module: here it hits one.
      for (const args of [['--help'], ['migrat']]) {
        const r = await db(dist, args);
        expect(r.code, args.join(' ')).not.toBe(0);
        expect(r.out).toMatch(/cli\/commands\/\S+\.js was loaded/);
      }
    });
  });
});

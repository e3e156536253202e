import { execFile } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readVerdict, writeVerdict } from '../../src/failover/verdict-file.js';
import { verdictFile, verdictShellTest } from '../../src/topology/verdict-check.js';

const run = promisify(execFile);

/** The check exactly as Keepalived runs it: /bin/sh -c '<test>'; true when it exits 0. */
async function keepalivedSays(file: string): Promise<boolean> {
  return run('/bin/sh', ['-c', verdictShellTest(file)]).then(
    () => true,
    () => false,
  );
}

const uptimeCs = (): number => Math.round(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

describe("Keepalived's health test of the watch's verdict file (/bin/sh, builtins only)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-verdict-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('passes only a fresh ok verdict of this boot', async () => {
    const file = verdictFile(dir, 'node1', 'database');
    expect(await keepalivedSays(file)).toBe(false); // no file: no watch
    await writeVerdict(file, { ok: true, reason: 'the primary, not fenced' }, 2000);
    expect(await keepalivedSays(file)).toBe(true);
    expect(await fs.readFile(file, 'utf8')).toMatch(/^\d+ [0-9a-f-]{36} ok the primary, not fenced\n$/);
    expect(await readVerdict(file)).toEqual({ ok: true, reason: 'the primary, not fenced', validForMs: expect.any(Number) });
    expect((await readVerdict(file))!.validForMs).toBeGreaterThan(1000);
    await writeVerdict(file, { ok: false, reason: 'fenced: no answer\nfrom node2' }, 2000);
    expect(await keepalivedSays(file)).toBe(false);
    // The reason stays on the one line the shell reads.
    expect(await fs.readFile(file, 'utf8')).toMatch(/ fail fenced: no answer from node2\n$/);
  });

  it('fails an expired verdict, one from another boot, and a garbled file', async () => {
    const file = verdictFile(dir, 'node2', 'witness');
    await fs.writeFile(file, `${uptimeCs() - 1} ${bootId()} ok expired a moment ago\n`);
    expect(await keepalivedSays(file)).toBe(false);
    await fs.writeFile(file, `${uptimeCs() + 100_000} ${bootId()} ok still valid\n`);
    expect(await keepalivedSays(file)).toBe(true);
    await fs.writeFile(file, `${uptimeCs() + 100_000} 00000000-0000-0000-0000-000000000000 ok from an earlier boot\n`);
    expect(await keepalivedSays(file)).toBe(false);
    expect(await readVerdict(file)).toEqual({ ok: false, reason: 'from an earlier boot', validForMs: null });
    for (const garbled of ['', '\n', 'ok\n', `${uptimeCs() + 100_000}\n`, `soon ${bootId()} ok\n`]) {
      await fs.writeFile(file, garbled);
      expect(await keepalivedSays(file), JSON.stringify(garbled)).toBe(false);
    }
  });

  it('expires on its own once the writer stops', async () => {
    const file = verdictFile(dir, 'node1', 'witness');
    await writeVerdict(file, { ok: true, reason: 'the witness answered' }, 300);
    expect(await keepalivedSays(file)).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    expect(await keepalivedSays(file)).toBe(false);
  });

  it('refuses a path it could not quote', () => {
    expect(() => verdictShellTest("/run/it's/node1.database.verdict")).toThrow(/without spaces or quotes/);
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAsServerUser, serverOsUser } from '../../src/local/cluster.js';
import { processAlive } from '../../src/local/process-alive.js';

const BUILT = path.resolve(import.meta.dirname, '../../dist/local/process-alive.js');

describe('processAlive', () => {
  it('is true for a running process and false once it has exited and been reaped', async () => {
    expect(processAlive(process.pid)).toBe(true);
    const child = spawn('sleep', ['30']);
    await once(child, 'spawn');
    const pid = child.pid!;
    expect(processAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(processAlive(pid)).toBe(false);
  });

  it("counts another user's process as alive (the signal is refused with EPERM), as a lock holder must be", async () => {
    const osUser = serverOsUser();
    if (!osUser) {
      // Not root: PID 1 is root's, so the signal is refused here already.
      expect(processAlive(1)).toBe(true);
      return;
    }
    // Root may signal anything: the built function runs as the server's OS user, for whom PID 1 is another user's.
    const source = await fs.readFile(BUILT, 'utf8');
    const script = `${source}\nlet refused = false; try { process.kill(1, 0); } catch (e) { refused = e.code === 'EPERM'; }\nconsole.log(JSON.stringify({ refused, alive: processAlive(1) }));`;
    const r = await runAsServerUser(process.execPath, ['--input-type=module', '-e', script], osUser);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.output.trim())).toEqual({ refused: true, alive: true });
  });
});

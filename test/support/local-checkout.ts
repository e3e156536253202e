import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO_ROOT } from './cli.js';

/**
 * Checkouts of the repository for `db up` / `db start` tests: each keeps its own .voipdb/ (its own
 * embedded PostgreSQL 18), and `db up` runs in it as a user would, in a process group of its own
 * so that a test can kill it with everything it started.
 */

/** A folder that looks like a clone of the repository, with no .voipdb/ yet (enterable by the postgres OS user). */
export async function checkout(name: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `voipdb-${name}-`));
  await fs.chmod(dir, 0o755);
  for (const entry of ['migrations', 'schema.sql', 'src', 'test']) await fs.symlink(path.join(REPO_ROOT, entry), path.join(dir, entry));
  return dir;
}

export interface UpRun {
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `db up` in `cwd`, in its own process group (`-child.pid` reaches initdb as well). */
export function spawnUp(cwd: string, env: Record<string, string> = {}): UpRun {
  const child = spawn(process.execPath, [CLI, 'up'], {
    cwd,
    detached: true,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout!.resume();
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, closed };
}

/** Waits (polling every 5 ms, at most 60 s) until `ready()` holds, failing with `what` and the run's stderr. */
export async function waitFor(run: UpRun, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await ready())) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`never saw ${what}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Whether an initdb process is making `dataDir` (read from /proc, whoever runs it). */
export async function initdbRunning(dataDir: string): Promise<boolean> {
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (path.basename(argv[0] ?? '') === 'initdb' && argv.includes(dataDir)) return true;
  }
  return false;
}

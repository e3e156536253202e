import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNoProblems, resolveConnection, type ConnectionConfig, type Env } from './connection.js';
import { optionalCount, parseDuration } from './durations.js';

/** Raw option values as the CLI parsed them (strings, undefined when not given). */
export interface RawOptions {
  url?: string;
  migrationsDir?: string;
  lockWait?: string;
  lockTimeout?: string;
  statementTimeout?: string;
  lockRetries?: string;
  to?: string;
  step?: string;
}

export interface EngineSettings {
  migrationsDir: string;
  lockWaitMs: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  lockRetries: number;
  to?: number;
  step?: number;
}

/**
 * The one place where flags + environment + defaults become validated settings. Every problem
 * is collected and reported together; a missing connection is its own error.
 */
export function resolveEngineSettings(raw: RawOptions, cwd: string): { settings: EngineSettings; problems: string[] } {
  const problems: string[] = [];
  const duration = (value: string | undefined, flag: string, fallback: number): number => {
    if (value === undefined) return fallback;
    const r = parseDuration(value, flag);
    if ('problem' in r) {
      problems.push(r.problem);
      return fallback;
    }
    return r.ms;
  };
  const count = (value: string | undefined, flag: string, min = 0): number | undefined => {
    const { n, problem } = optionalCount(value, flag, min);
    if (problem !== undefined) problems.push(problem);
    return n;
  };
  const to = count(raw.to, '--to');
  const step = count(raw.step, '--step', 1);
  const settings: EngineSettings = {
    migrationsDir: raw.migrationsDir !== undefined ? path.resolve(cwd, raw.migrationsDir) : defaultMigrationsDir(cwd),
    lockWaitMs: duration(raw.lockWait, '--lock-wait', 60_000),
    lockTimeoutMs: duration(raw.lockTimeout, '--lock-timeout', 5_000),
    statementTimeoutMs: duration(raw.statementTimeout, '--statement-timeout', 0),
    lockRetries: count(raw.lockRetries, '--lock-retries') ?? 3,
    ...(to !== undefined ? { to } : {}),
    ...(step !== undefined ? { step } : {}),
  };
  return { settings, problems };
}

/** The migrations that ship inside the installed package (package.json's "files"). */
export const PACKAGED_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * `./migrations` where there is one (the repository, a service's own checkout); else the folder
 * the package ships, so that on a node, where the tarball was installed, `npx db migrate` applies
 * the migrations of the version installed.
 */
export function defaultMigrationsDir(cwd: string): string {
  const here = path.resolve(cwd, 'migrations');
  return existsSync(here) ? here : PACKAGED_MIGRATIONS_DIR;
}

/** Connection + engine settings, all problems reported at once. */
export function resolveSettings(raw: RawOptions, env: Env, cwd: string): { connection: ConnectionConfig; engine: EngineSettings } {
  const { settings, problems } = resolveEngineSettings(raw, cwd);
  const connection = resolveConnection({ url: raw.url, env, applicationName: 'voipdb' });
  assertNoProblems([...problems, ...connection.problems]);
  return { connection: connection.config!, engine: settings };
}

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds a PostgreSQL client program (pg_basebackup, pg_rewind) of one major version: in
 * --bin-dir when given, else in Debian's /usr/lib/postgresql/<major>/bin, else on PATH. Both
 * programs only work against a server of their own major, so the version is read from
 * `<program> --version`, never assumed from the path.
 */
export interface FoundProgram {
  path: string;
  major: number;
}

export interface ProgramSearch {
  found: FoundProgram | undefined;
  /** What was looked at and why it does not serve, for messages ("pg_rewind 15 at /usr/bin/pg_rewind"). */
  seen: string[];
}

export async function findProgram(name: string, major: number, binDir?: string): Promise<ProgramSearch> {
  const candidates = binDir
    ? [path.join(binDir, name)]
    : [path.join('/usr/lib/postgresql', String(major), 'bin', name), ...pathCandidates(name)];
  const seen: string[] = [];
  for (const candidate of [...new Set(candidates)]) {
    if (!existsSync(candidate)) continue;
    const version = await programMajor(candidate);
    if (version === major) return { found: { path: candidate, major }, seen };
    seen.push(`${name} ${version ?? '?'} at ${candidate}`);
  }
  return { found: undefined, seen };
}

function pathCandidates(name: string): string[] {
  return (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => path.join(dir, name));
}

/** The major version a PostgreSQL program reports with --version (pg_ctl, postgres, pg_rewind, ...). */
export function programMajor(file: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 10_000 }, (error, stdout) => {
      const m = /\(PostgreSQL\)\s+(\d+)/.exec(String(stdout));
      resolve(error || !m ? undefined : Number(m[1]));
    });
  });
}

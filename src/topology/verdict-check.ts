import path from 'node:path';

/**
 * Where the watch writes its health verdicts and how Keepalived tests them (the format and why:
 * src/failover/verdict-file.ts). Here, beside the render that puts the test in keepalived.conf,
 * so the render needs nothing of the failover code.
 */

export type HealthCheck = 'database' | 'witness';

export function verdictFile(stateDir: string, node: string, check: HealthCheck): string {
  return path.join(stateDir, `${node}.${check}.verdict`);
}

/** Characters that would break the quoting of the shell test or Keepalived's own parsing. */
const UNSAFE_IN_PATH = /[\s'"\\$`]/;

export function isSafeVerdictPath(file: string): boolean {
  return !UNSAFE_IN_PATH.test(file);
}

/**
 * The check as Keepalived runs it: `/bin/sh -c '<test>'`, exit 0 only when the file says ok, was
 * written this boot and has not expired. Only shell builtins: `read` and `[`. A missing or
 * unreadable file fails it.
 */
export function verdictShellTest(file: string): string {
  if (!isSafeVerdictPath(file)) throw new Error(`a verdict file path without spaces or quotes is needed, got ${JSON.stringify(file)}`);
  return [
    'read up _ </proc/uptime',
    'read boot </proc/sys/kernel/random/boot_id',
    `read until written verdict _ <${file} || exit 1`,
    // 12345.67 -> 1234567: uptime in centiseconds, the file's unit
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    'up=${up%.*}${up#*.}',
    // Unquoted on purpose (Keepalived's own string is double-quoted): each is one word read
    // from a file, and an empty one makes `[` fail, which fails the check: closed, not open.
    '[ $verdict = ok ] && [ $written = $boot ] && [ $up -lt $until ]',
  ].join('; ');
}

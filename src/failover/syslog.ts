import { spawn } from 'node:child_process';

export type LogLevel = 'notice' | 'warning' | 'err';

/**
 * One failover decision, one line: on stderr (the journal or the caller's log) and in the system
 * log through logger(1), tag `voipdb`, facility daemon, so that an operator finds every fence,
 * promotion and refusal with `journalctl -t voipdb` or in /var/log/syslog. A missing logger or
 * syslog daemon never stops a decision: the line is on stderr regardless.
 */
export async function logDecision(
  node: string,
  verb: string,
  level: LogLevel,
  text: string,
  stderr: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const line = `${node}: ${verb}: ${text}`;
  stderr(`voipdb[${level}] ${line}`);
  await new Promise<void>((resolve) => {
    try {
      const child = spawn('logger', ['-t', 'voipdb', '-p', `daemon.${level}`, '--', line], { stdio: 'ignore' });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.on('error', () => {
        clearTimeout(timer);
        resolve();
      });
      child.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      resolve();
    }
  });
}

import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

/** Connection strings the toolkit must refuse as the user's mistake: exit 2, one line, no password. */
describe('db with a connection string it cannot use', () => {
  it('a malformed %-escape in the user, password or database: CONFIG_INVALID, exit 2, the password never shown', async () => {
    for (const url of [
      'postgres://u:hunter%2@127.0.0.1/db',
      'postgres://us%zr:hunter2@127.0.0.1/db',
      'postgres://u:hunter2@127.0.0.1/d%g',
    ]) {
      const r = await runCli(['status', '--url', url]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error\[CONFIG_INVALID\]: invalid configuration: --url: the (password|user name|database name) has a malformed %-escape/,
      );
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(2); // the error and its hint
      expect(r.stderr).not.toContain('hunter');
    }
  });

  it('a parameter it cannot honour is named (exit 2), never dropped', async () => {
    const r = await runCli(['status', '--url', 'postgres://u@127.0.0.1/db?sslmode=require&keepalives_interval=5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--url keepalives_interval is set, but voipdb cannot honour it');
    const unknown = await runCli(['status', '--url', 'postgres://u@127.0.0.1/db?sslmod=require']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown connection parameter "sslmod"');
  });
});

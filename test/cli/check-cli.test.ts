import { describe, expect, it } from 'vitest';
import { configUrl, server, serverConfig } from '../support/database.js';
import { runCli } from '../support/cli.js';
import { REPOSITORY_CHECKS } from '../schema/check-names.js';

describe('db check and db dump as processes', () => {
  it('db check --json passes on the repository as committed (exit 0), building its scratch databases on the given server', async () => {
    const r = await runCli(['check', '--json', '--scratch-url', configUrl(serverConfig(server('pg18')))], { timeoutMs: 120_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(REPOSITORY_CHECKS);
  });

  it('db dump --out writes the same bytes as the committed schema.sql', async () => {
    const { promises: fs } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const out = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-dump-')), 'schema.sql');
    const r = await runCli(['dump', '--out', out, '--scratch-url', configUrl(serverConfig(server('pg15')))], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(out, 'utf8')).toBe(await fs.readFile('schema.sql', 'utf8'));
  });
});

import { describe, expect, it } from 'vitest';
import { registerDoctor } from '../../src/cli/commands/doctor.js';
import { resolveLagThresholds } from '../../src/doctor/doctor-options.js';
import { freePort } from '../../src/local/cluster.js';
import { freshDatabase, configUrl } from '../support/database.js';
import { runInProcess } from '../support/in-process-cli.js';

async function doctor(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const r = await runInProcess(registerDoctor, ['doctor', ...args], { env });
  return { code: r.code, out: r.out.join('\n'), err: r.err.join('\n') };
}

describe('db doctor exit codes outside the pair', () => {
  it('a node that refuses connections is CRITICAL (2), without printing the password', async () => {
    const port = await freePort();
    const r = await doctor(['--url', `postgres://postgres:s3cret-pw@127.0.0.1:${port}/voipdb`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error[CONNECTION_REFUSED]');
    expect(r.err).not.toContain('s3cret-pw');
  });

  it('no connection configured, or bad flags, is UNKNOWN (3) listing every problem', async () => {
    expect((await doctor([])).code).toBe(3);
    const r = await doctor(['--url', 'postgres://x@127.0.0.1/db', '--max-lag-bytes', 'lots', '--max-lag-seconds', 'soon']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('--max-lag-bytes must be a size');
    expect(r.err).toContain('--max-lag-seconds must be a duration');
  });

  it('a lone primary without its standby is CRITICAL and says which checks failed', async () => {
    const db = await freshDatabase('pg18');
    const r = await doctor(['--url', configUrl(db), '--migrations-dir', 'migrations']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^DOCTOR CRITICAL: .* is primary \(PostgreSQL 18/);
    expect(r.out).toContain('[critical] replication slot node2_slot does not exist');
    expect(r.out).toContain('[critical] no standby is streaming from this primary');
  });

  it('parses the thresholds: sizes with units, seconds as a number or a duration', () => {
    expect(resolveLagThresholds({})).toEqual({ thresholds: { maxLagBytes: 10 * 1024 * 1024, maxLagSeconds: 5 }, problems: [] });
    expect(resolveLagThresholds({ maxLagBytes: '512kB', maxLagSeconds: '2.5' }).thresholds).toEqual({
      maxLagBytes: 524288,
      maxLagSeconds: 2.5,
    });
    expect(resolveLagThresholds({ maxLagSeconds: '1500ms' }).thresholds.maxLagSeconds).toBe(1.5);
  });
});

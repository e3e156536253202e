import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverOsUser } from '../../src/local/cluster.js';
import { minimumPromoteAfterMs, resolveFailover } from '../../src/topology/failover.js';
import { parseTopology, renderNodeConfig } from '../../src/topology/index.js';
import { MINIMAL, problemsOf } from './topology-text.js';

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

describe('the failover block', () => {
  it('is optional: absent means manual mode with every default and the derived promotion wait', () => {
    const f = resolveFailover(parseTopology(MINIMAL).failover);
    expect(f.mode).toBe('manual');
    expect(f.leaseMs).toBe(1500);
    // lease 1500 + 2 x (250 + 200) + 500 fence write stop + 500 margin
    expect(f.promoteAfterMs).toBe(3400);
    expect(minimumPromoteAfterMs(f)).toBe(3400);
  });

  it('refuses a promotion wait shorter than the lease rule allows, and a probe timeout not below its interval', () => {
    const problems = problemsOf(`${MINIMAL}failover: { leaseMs: 3000, promoteAfterMs: 3000, probeTimeoutMs: 250 }\n`);
    expect(problems).toEqual([
      'failover.probeTimeoutMs must be below probeIntervalMs (250), got 250',
      'failover.promoteAfterMs must be at least 5000 ms (leaseMs + 2 x (probeIntervalMs + probeTimeoutMs) + 500 + 500), or the standby could promote before the primary fenced, got 3000',
    ]);
  });

  it('refuses per-node settings for a node the topology does not have, a password in localUrl, a bad mode', () => {
    const problems = problemsOf(`${MINIMAL}failover:\n  mode: auto\n  nodes: { node3: { dataDir: /x } }\n`);
    expect(problems).toEqual([
      'failover.mode must be automatic or manual, got "auto"',
      'failover.nodes: node3 is not a node of the topology (nodes: node1, node2)',
    ]);
    // The value is not echoed: it holds the password it must not hold.
    expect(problemsOf(`${MINIMAL}failover:\n  localUrl: postgres://postgres:secret@localhost/voipdb\n`)).toEqual([
      'failover.localUrl must not hold a password (use a passfile, or peer authentication over the socket)',
    ]);
  });
});

/** The first network interface that is not loopback: keepalived refuses an interface that does not exist, and lo. */
function realInterface(): string {
  const found = readdirSync('/sys/class/net').find((n) => n !== 'lo');
  if (!found) throw new Error('this machine has no network interface besides lo: keepalived cannot validate a VRRP instance');
  return found;
}

describe('rendered configs are accepted by the programs that read them', () => {
  // /usr/bin/true stands in for `db`: both programs check that the command exists and is executable.
  const topology = (mode: string, advert = 1000) =>
    parseTopology(
      `${MINIMAL}failover:\n  mode: ${mode}\n  interface: ${realInterface()}\n  advertIntervalMs: ${advert}\n  command: /usr/bin/true\n  nodes: { node1: { dataDir: /var/lib/postgresql/18/main } }\n`,
    );

  it('keepalived --config-test accepts both nodes, in both modes and with a sub-second advert (VRRP 3)', async () => {
    if (!existsSync('/usr/sbin/keepalived')) throw new Error('keepalived is missing: apt-get install keepalived (as .ci/run does)');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-keepalived-'));
    await fs.chmod(dir, 0o755);
    // As root the check runs as postgres (below), which writes its report here.
    const postgres = serverOsUser();
    if (postgres) await fs.chown(dir, postgres.uid, postgres.gid);
    try {
      for (const [mode, advert] of [
        ['automatic', 1000],
        ['manual', 1000],
        ['automatic', 250],
      ] as const) {
        for (const node of ['node1', 'node2']) {
          const conf = renderNodeConfig(topology(mode, advert), node, 'keepalived');
          if (advert === 250) expect(conf).toContain('  version 3\n  interface');
          const file = path.join(dir, `${node}-${mode}-${advert}.conf`);
          await fs.writeFile(file, conf, { mode: 0o644 });
          const log = `${file}.log`;
          // Keepalived 2.2.7 kills itself in --config-test as root once a script runs as another user
          // (script_user postgres); as that user it checks the whole file, scripts included.
          const asRoot = process.getuid?.() === 0;
          const result = asRoot
            ? await run('runuser', ['-u', 'postgres', '--', 'keepalived', `--config-test=${log}`, '-f', file])
            : await run('keepalived', [`--config-test=${log}`, '-f', file]);
          const report = existsSync(log) ? await fs.readFile(log, 'utf8') : '';
          expect({ code: result.code, report }).toEqual({ code: 0, report: '' });
        }
      }
      // The check can fail: a misspelt keyword is reported.
      const bad = path.join(dir, 'bad.conf');
      await fs.writeFile(
        bad,
        renderNodeConfig(topology('automatic'), 'node1', 'keepalived').replace('  nopreempt\n', '  no_such_keyword\n'),
        { mode: 0o644 },
      );
      const asRoot = process.getuid?.() === 0;
      const result = asRoot
        ? await run('runuser', ['-u', 'postgres', '--', 'keepalived', `--config-test=${bad}.log`, '-f', bad])
        : await run('keepalived', [`--config-test=${bad}.log`, '-f', bad]);
      expect(result.code).not.toBe(0);
      expect(await fs.readFile(`${bad}.log`, 'utf8')).toContain("Unknown keyword 'no_such_keyword'");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('keepalived: both nodes BACKUP, nopreempt, unicast to each other, the two checks tracked, notify calls db', () => {
    const t = parseTopology(`${MINIMAL}failover: { mode: automatic, witness: 172.16.91.1 }\n`);
    const one = renderNodeConfig(t, 'node1', 'keepalived');
    const two = renderNodeConfig(t, 'node2', 'keepalived');
    for (const [conf, self, peer, priority] of [
      [one, '172.16.91.101', '172.16.91.102', 150],
      [two, '172.16.91.102', '172.16.91.101', 100],
    ] as const) {
      expect(conf).toContain('  state BACKUP\n  nopreempt\n');
      expect(conf).toContain(`  unicast_src_ip ${self}\n  unicast_peer {\n    ${peer}\n  }`);
      expect(conf).toContain(`  priority ${priority}\n`);
      expect(conf).toContain('  track_script {\n    voipdb_database\n    voipdb_witness\n  }');
      expect(conf).toMatch(
        /notify_master "\/usr\/local\/bin\/db failover notify --topology \/etc\/voipdb\/topology.yaml --node node\d MASTER"/,
      );
    }
  });

  it('systemd-analyze verify loads the postgresql drop-in and the watch unit without a complaint', async () => {
    if (!existsSync('/usr/bin/systemd-analyze')) throw new Error('systemd-analyze is missing (package systemd)');
    const unit = '/lib/systemd/system/postgresql@.service';
    if (!existsSync(unit)) throw new Error(`${unit} is missing: install postgresql-15 (as .ci/run does)`);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-systemd-'));
    try {
      const text = renderNodeConfig(topology('automatic'), 'node1', 'systemd');
      const parts = text.split(/^# ---- (\S+)\n/m);
      const files: string[] = [];
      for (let i = 1; i < parts.length; i += 2) {
        const target = path.join(dir, parts[i]!.replace('/etc/systemd/system/', ''));
        await fs.mkdir(path.dirname(target), { recursive: true });
        await fs.writeFile(target, parts[i + 1]!);
        files.push(target);
      }
      expect(files.map((f) => path.relative(dir, f))).toEqual([
        'postgresql@.service.d/voipdb-failover.conf',
        'voipdb-failover-watch.service',
      ]);
      await fs.copyFile(unit, path.join(dir, 'postgresql@.service'));
      const pg = await run('systemd-analyze', ['verify', '--man=no', path.join(dir, 'postgresql@15-main.service')], {
        SYSTEMD_LOG_LEVEL: 'debug',
      });
      expect(pg.code).toBe(0);
      // The debug dump of the unit as loaded goes to stdout.
      expect(pg.stdout).toContain(`DropIn Path: ${path.join(dir, 'postgresql@.service.d/voipdb-failover.conf')}`);
      expect(pg.stdout).toMatch(
        /ExecStartPre:\n\s+Command Line: \/usr\/bin\/true failover guard --topology \/etc\/voipdb\/topology.yaml --node node1/,
      );
      expect(pg.stdout).toMatch(/Restart: always/);
      const quiet = await run('systemd-analyze', [
        'verify',
        '--man=no',
        path.join(dir, 'postgresql@15-main.service'),
        path.join(dir, 'voipdb-failover-watch.service'),
      ]);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr.split('\n').filter((l) => l.includes(dir))).toEqual([]);
      // The check can fail: an unknown key in the drop-in is named.
      await fs.appendFile(files[0]!, 'Restartt=always\n');
      const bad = await run('systemd-analyze', ['verify', '--man=no', path.join(dir, 'postgresql@15-main.service')]);
      expect(bad.stderr).toContain("Unknown key 'Restartt'");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TopologyInvalidError } from '../../src/topology/errors.js';
import { parseTopology, renderNodeConfig } from '../../src/topology/index.js';
import { splitRenderedFiles } from '../../src/topology/render-pgbackrest.js';
import { runCli } from '../support/cli.js';

// What `db config render` writes for WAL archiving and backups; the files are used for real in
// backup-pitr, backup-doctor and backup-failover.test.ts.

const BASE = `
vip: { address: 172.16.91.100 }
nodes:
  - { name: node1, address: 172.16.91.101, role: primary }
  - { name: node2, address: 172.16.91.102, role: standby }
`;
const archiveLines = (yaml: string, node: string): string[] =>
  renderNodeConfig(parseTopology(yaml), node, 'postgres')
    .split('\n')
    .filter((l) => /^archive_/.test(l));

describe('archive settings in the postgres service', () => {
  it('no backup block, or archive: false, renders archive_mode = off and no command', () => {
    for (const yaml of [BASE, `${BASE}backup: { archive: false }\n`]) {
      for (const node of ['node1', 'node2']) expect(archiveLines(yaml, node)).toEqual(['archive_mode = off']);
    }
  });

  it('a backup block renders archive_mode = on with the pgBackRest command, the same on both nodes', () => {
    const yaml = `${BASE}backup: {}\n`;
    const expected = ['archive_mode = on', "archive_command = 'pgbackrest --stanza=voipdb archive-push %p'", 'archive_timeout = 60'];
    expect(archiveLines(yaml, 'node1')).toEqual(expected);
    expect(archiveLines(yaml, 'node2')).toEqual(expected);
    const own = `${BASE}backup: { stanza: pbx, configFile: /etc/voipdb/pgbackrest.conf, archiveTimeoutSeconds: 30 }\n`;
    expect(archiveLines(own, 'node2')).toEqual([
      'archive_mode = on',
      "archive_command = 'pgbackrest --config=/etc/voipdb/pgbackrest.conf --stanza=pbx archive-push %p'",
      'archive_timeout = 30',
    ]);
  });

  it('refuses a per-node data directory that misses a node or names a stranger', () => {
    const bad = `${BASE}backup:\n  dataDirectory: { node1: /srv/pg, node3: /srv/pg }\n`;
    let problems: string[] = [];
    try {
      parseTopology(bad, 'bad.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(TopologyInvalidError);
      problems = (error as TopologyInvalidError).problems;
    }
    expect(problems).toEqual([
      'backup.dataDirectory has no path for node node2',
      'backup.dataDirectory names node3, which is not a node of the topology',
    ]);
  });
});

describe('the pgbackrest service', () => {
  const files = (node: string) =>
    splitRenderedFiles(renderNodeConfig(parseTopology(`${BASE}backup: { repository: { path: /mnt/pgbackrest } }\n`), node, 'pgbackrest'));

  it('lists this node as pg1 and the other as pg2, with one repository', () => {
    const conf = files('node2').find((f) => f.path === '/etc/pgbackrest/pgbackrest.conf')!.text;
    expect(conf).toContain('repo1-path=/mnt/pgbackrest\n');
    expect(conf).toMatch(
      /\[voipdb\]\n# pg1: this node's own PostgreSQL \(node2\)[^\n]*\npg1-path=\/var\/lib\/postgresql\/18\/main\npg1-port=5432\n/,
    );
    expect(conf).toContain('pg2-host=172.16.91.101\npg2-host-user=postgres\npg2-path=/var/lib/postgresql/18/main\npg2-port=5432\n');
  });

  it('writes systemd units that systemd-analyze accepts, with the same condition on both nodes', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-units-'));
    try {
      const units = files('node1').filter((f) => f.path.startsWith('/etc/systemd/system/'));
      expect(units.map((u) => path.basename(u.path))).toEqual([
        'voipdb-backup@.service',
        'voipdb-backup-full.timer',
        'voipdb-backup-diff.timer',
      ]);
      for (const u of units) await fs.writeFile(path.join(dir, path.basename(u.path)), u.text);
      const verified = await new Promise<{ code: number | string; stderr: string }>((resolve) => {
        execFile(
          'systemd-analyze',
          ['verify', '--man=no', ...units.map((u) => path.join(dir, path.basename(u.path)))],
          (error, _out, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stderr: String(stderr) }),
        );
      });
      if (verified.code === 'ENOENT') throw new Error('systemd-analyze is missing: install the systemd package (.ci/run does)');
      // Warnings about a unit's settings do not change the exit code: the text must be clean too.
      expect(verified.stderr).not.toMatch(/Failed to parse|Unknown key|bad unit file|lacks/i);
      expect(verified.code).toBe(0);
      const service = (node: string) => files(node).find((f) => f.path.endsWith('@.service'))!.text;
      expect(service('node1')).toContain(
        `ExecCondition=/bin/sh -c 'psql -XAtq -p 5432 -d postgres -c "SELECT pg_is_in_recovery()" | grep -qx f'`,
      );
      expect(service('node2').split('\n').slice(1)).toEqual(service('node1').split('\n').slice(1));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('db backup restore refuses before touching anything', () => {
  it('a time without its zone is a usage error (exit 2)', async () => {
    const r = await runCli(['backup', 'restore', '--before', '2026-12-05 14:03', '--data-dir', '/nonexistent/restore']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error\[RESTORE_TARGET_INVALID\]: --before must be a time with its zone/);
  });

  it('a directory that is not empty is refused, and left as it was', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-restore-into-'));
    try {
      await fs.writeFile(path.join(dir, 'keep.txt'), 'mine');
      const r = await runCli(['backup', 'restore', '--before', '2026-12-05T14:03:00Z', '--data-dir', dir]);
      expect(r.stderr).toMatch(/^error\[DATA_DIR_NOT_EMPTY\]: refusing to restore into /);
      expect(r.code).not.toBe(0);
      expect(await fs.readdir(dir)).toEqual(['keep.txt']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

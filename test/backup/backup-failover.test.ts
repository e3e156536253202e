import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../src/doctor/severity.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { runAsServerUser, serverOsUser, stopCluster } from '../../src/local/cluster.js';
import { parseTopology, renderNodeConfig } from '../../src/topology/index.js';
import { splitRenderedFiles } from '../../src/topology/render-pgbackrest.js';
import { runCli } from '../support/cli.js';
import { configUrl, query } from '../support/database.js';
import {
  type BackupRun,
  backupTopologyYaml,
  mustPgbackrest,
  pgbackrestEnv,
  prepareBackupRun,
  restoreBefore,
  restoreTargetNow,
  startRestoredCopy,
  renderedArchiveSettings,
  type TopologyNodeSpec,
  writeRenderedPgbackrestConf,
} from '../support/pgbackrest.js';
import { nodeConfig, type ReplicationPair, startReplicationPair, waitForCatchUp } from '../support/standby.js';

/**
 * Archiving across a failover, on a Debian PostgreSQL 15 pair with the rendered settings on both
 * nodes: node 1 backs up (the rendered systemd unit's condition lets only the primary run), node 2's
 * doctor is never CRITICAL while it is a standby, node 2 is promoted and archives from then on
 * without an edit, `pgbackrest check` passes there, and a restore to a time after the failover
 * reaches it through the new timeline's history in the repository.
 */
describe('WAL archiving across a failover (pg15)', () => {
  let run: BackupRun;
  let pair: ReplicationPair;
  let nodes: TopologyNodeSpec[];
  const env = (): Record<string, string> => pgbackrestEnv(run);
  const db = (which: 'primary' | 'standby', database = 'postgres'): ConnectionConfig => nodeConfig(pair[which], database);
  // Each node's own view: its topology names its own port (both nodes run on this machine).
  const viewOf = (name: string): string => {
    const own = nodes.find((n) => n.name === name)!;
    return backupTopologyYaml(run, [own, ...nodes.filter((n) => n !== own)]);
  };
  const unitCommands = (name: string): { condition: string; start: string } => {
    const files = splitRenderedFiles(renderNodeConfig(parseTopology(viewOf(name)), name, 'pgbackrest'));
    const unit = files.find((f) => f.path.endsWith('voipdb-backup@.service'))!.text;
    return {
      condition: /^ExecCondition=(.*)$/m.exec(unit)![1]!,
      start: /^ExecStart=(.*)$/m.exec(unit)![1]!.replace('%i', 'diff'),
    };
  };
  // What systemd does with the unit: run the line as postgres (peer authentication on a node; the password here).
  const asUnit = (line: string) =>
    runAsServerUser('/bin/sh', ['-c', line], serverOsUser(), { ...env(), PGPASSWORD: pair.primary.password });
  const doctorChecks = async (config: ConnectionConfig): Promise<Check[]> => {
    const r = await runCli(['doctor', '--json', '--url', configUrl(config)], { env: env() });
    expect(r.stderr).toBe('');
    return (JSON.parse(r.stdout) as { checks: Check[] }).checks.filter((c) =>
      /^(setting\.archive_mode|archive\.|pgbackrest\.|backup\.)/.test(c.id),
    );
  };
  const cdrs = async (config: ConnectionConfig, n: number): Promise<string[]> => {
    const uuids = Array.from({ length: n }, () => randomUUID());
    await query(config, 'INSERT INTO calls (uuid) SELECT unnest($1::uuid[])', [uuids]);
    return uuids;
  };

  beforeAll(async () => {
    run = await prepareBackupRun('failover');
    // archive_mode and archive_command do not depend on the nodes' ports or folders: rendered once for both.
    const placeholder = backupTopologyYaml(run, [
      { name: 'node1', role: 'primary', dataDir: '/x/1', port: 5432 },
      { name: 'node2', role: 'standby', dataDir: '/x/2', port: 5432 },
    ]);
    const archive = renderedArchiveSettings(placeholder, 'node1');
    expect(renderedArchiveSettings(placeholder, 'node2')).toEqual(archive);
    pair = await startReplicationPair('pg15', { settings: { ...archive, unix_socket_directories: run.socketDir, full_page_writes: 'on' } });
    nodes = [
      { name: 'node1', role: 'primary', dataDir: pair.primary.spec.dataDir, port: pair.primary.port },
      { name: 'node2', role: 'standby', dataDir: pair.standby.spec.dataDir, port: pair.standby.port },
    ];
  });
  afterAll(async () => {
    await pair?.stop();
    if (run) {
      await stopCluster(path.join(run.root, 'restored'));
      await fs.rm(run.root, { recursive: true, force: true });
    }
  });

  it('backs up from the primary only, and node 2 is not CRITICAL while it is a standby', async () => {
    await writeRenderedPgbackrestConf(run, viewOf('node1'), 'node1', nodes);
    await mustPgbackrest(run, ['stanza-create'], pair.primary.password);
    await mustPgbackrest(run, ['--type=full', 'backup'], pair.primary.password);
    await query(db('primary'), 'CREATE TABLE calls (uuid uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');

    // The rendered timer unit: its condition passes on node 1 (primary) and fails on node 2 (standby).
    const node1 = unitCommands('node1');
    expect((await asUnit(node1.condition)).code).toBe(0);
    expect((await asUnit(unitCommands('node2').condition)).code).not.toBe(0);
    const backup = await asUnit(node1.start);
    expect(backup.output).toContain('backup command end: completed successfully');
    expect(backup.code).toBe(0);

    await waitForCatchUp(pair);
    const onStandby = await doctorChecks(db('standby'));
    expect(onStandby.filter((c) => c.severity === 'critical')).toEqual([]);
    expect(onStandby.find((c) => c.id === 'setting.archive_mode')!.severity).toBe('ok');
    expect(onStandby.find((c) => c.id === 'backup.age')!.severity).toBe('ok');
  });

  it('after a failover node 2 archives, pgbackrest check passes there, and a restore to a time after the failover works', async () => {
    const beforeFailover = await cdrs(db('primary'), 200);
    await mustPgbackrest(run, ['check'], pair.primary.password);
    await waitForCatchUp(pair);

    // Node 1 is lost; node 2 is promoted with nothing edited (its archive_command was there all along).
    await stopCluster(pair.primary.spec.dataDir);
    await query(db('standby'), 'SELECT pg_promote(true, 60)');
    // Node 2's own pgbackrest.conf (pg1 = itself); node 1, as pg2, does not answer.
    await writeRenderedPgbackrestConf(run, viewOf('node2'), 'node2', nodes);
    await mustPgbackrest(run, ['check'], pair.standby.password);
    const archived = await query<{ wal: string }>(db('standby'), 'SELECT last_archived_wal AS wal FROM pg_stat_archiver');
    expect(archived[0]!.wal).toMatch(/^00000002/);

    const afterFailover = await cdrs(db('standby'), 200);
    const at = await restoreTargetNow(db('standby'));
    await new Promise((r) => setTimeout(r, 50));
    const tooLate = await cdrs(db('standby'), 10);
    await mustPgbackrest(run, ['check'], pair.standby.password);

    const restoredDir = path.join(run.root, 'restored');
    const restored = await restoreBefore(run, at, restoredDir, '--json');
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const result = JSON.parse(restored.stdout) as { checked: { timeline: number; stoppedAt: string } };
    // Timeline 2 was node 2's promotion; the restored copy promotes itself to the next one.
    expect(result.checked.timeline).toBe(3);
    expect(result.checked.stoppedAt).toMatch(/^recovery stopping before commit/);

    const onNode2 = await doctorChecks(db('standby'));
    expect(onNode2.filter((c) => c.severity !== 'ok')).toEqual([]);
    // The copy holds everything committed before the time, on both sides of the failover, and nothing after.
    const copyPort = await startRestoredCopy(run, pair.primary.spec, restoredDir);
    try {
      const rows = await query<{ uuid: string }>({ ...db('standby'), port: copyPort }, 'SELECT uuid::text FROM calls');
      const seen = new Set(rows.map((r) => r.uuid));
      expect([...beforeFailover, ...afterFailover].filter((u) => !seen.has(u))).toEqual([]);
      expect(tooLate.filter((u) => seen.has(u))).toEqual([]);
    } finally {
      await stopCluster(restoredDir);
    }
  });
});

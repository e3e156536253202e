import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDoctor } from '../../src/cli/commands/doctor.js';
import type { NodeState } from '../../src/doctor/node-state.js';
import { peerConnection, selfNode } from '../../src/doctor/peer-health.js';
import { evaluatePair } from '../../src/doctor/split-brain.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { serverOsUser } from '../../src/local/cluster.js';
import { parseTopology } from '../../src/topology/index.js';
import { REPO_ROOT } from '../support/cli.js';
import { configUrl, query } from '../support/database.js';
import { type FailoverPair, NODE1_ADDRESS, NODE2_ADDRESS, startFailoverPair } from '../support/failover-pair.js';
import { runInProcess } from '../support/in-process-cli.js';

/** The pair's topology: nodes on `addresses` (the real pair's loopback ones, or the unit tests'). */
const TOPOLOGY = (port: number, tls = false, addresses: [string, string] = ['127.0.0.1', '127.0.0.2']): string => `
vip: { address: 172.16.91.100, httpPort: 8080, httpScheme: http }
database:
  name: postgres
  port: ${port}
  localHost: 127.0.0.1
${tls ? '  tls: { sslmode: verify-full, caFile: /etc/voipdb/tls/root.crt }\n' : ''}roles: { kamailio: kamailio, voipadmin: voipadmin, replicator: replicator }
secrets:
  kamailioPasswordFile: /etc/voipdb/secrets/kamailio.password
  voipadminPasswordFile: /etc/voipdb/secrets/voipadmin.password
  replicatorPassfile: /etc/voipdb/secrets/replicator.pgpass
freeswitch: { directoryPath: /freeswitch/directory, cdrPath: /freeswitch/cdr }
nodes:
  - { name: node1, address: ${addresses[0]}, role: primary }
  - { name: node2, address: ${addresses[1]}, role: standby, caFile: /etc/node2-ca.crt }
`;

const state = (over: Partial<NodeState>): NodeState => ({
  inRecovery: false,
  timeline: 1,
  lsn: '0/3000000',
  systemIdentifier: '7',
  hasPrimaryConninfo: false,
  receiving: false,
  defaultReadOnly: false,
  history: [],
  ...over,
});

describe('judging the pair', () => {
  it('two primaries: the node on the older timeline must stop, with the fork point and the WAL it wrote since', () => {
    const checks = evaluatePair(
      { name: 'node1', state: state({ timeline: 1, lsn: '0/3100000' }) },
      { name: 'node2', where: 'x', state: state({ timeline: 2, history: [{ timeline: 1, switchLsn: '0/3000000' }] }) },
    );
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({
      id: 'split_brain',
      severity: 'critical',
      data: { mustStop: 'node1', keeps: 'node2', forkLsn: '0/3000000' },
    });
    expect(checks[0]!.summary).toContain('node1 MUST STOP');
    expect(checks[0]!.summary).toContain('1 MB of WAL after the fork');
  });
  it('cannot tell on one timeline, or when the newer history does not hold the older timeline', () => {
    const same = evaluatePair({ name: 'a', state: state({}) }, { name: 'b', where: 'x', state: state({}) });
    expect(same[0]).toMatchObject({ id: 'split_brain', severity: 'critical', data: { mustStop: null } });
    const apart = evaluatePair(
      { name: 'a', state: state({ timeline: 2, history: [{ timeline: 1, switchLsn: '0/1' }] }) },
      { name: 'b', where: 'x', state: state({ timeline: 3, history: [{ timeline: 1, switchLsn: '0/2' }] }) },
    );
    expect(apart[0]).toMatchObject({ id: 'split_brain', data: { mustStop: null } });
  });
  it('a fenced node is named; fenced with the peer unreachable is critical', () => {
    const fenced = state({ inRecovery: true, hasPrimaryConninfo: false });
    expect(evaluatePair({ name: 'node1', state: fenced }, { name: 'node2', where: 'x', state: state({ timeline: 2 }) })).toMatchObject([
      { id: 'peer', severity: 'ok' },
      { id: 'fence.node1', severity: 'warning' },
    ]);
    expect(evaluatePair({ name: 'node1', state: fenced }, { name: 'node2', where: 'x', error: 'refused' })).toMatchObject([
      { id: 'peer', severity: 'critical' },
      { id: 'fence.node1', severity: 'critical' },
    ]);
  });
  it('reaches the peer at its topology address with the topology’s TLS and this node’s CA', () => {
    const topology = parseTopology(TOPOLOGY(5432, true), 't.yaml');
    const own: ConnectionConfig = {
      host: '127.0.0.2',
      port: 5999,
      user: 'postgres',
      database: 'voipdb',
      applicationName: 'd',
      password: 'pw',
    };
    const me = selfNode(topology, own);
    expect(me.name).toBe('node2');
    const peer = peerConnection(topology, me, topology.nodes[0]!, own);
    expect(peer).toMatchObject({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      password: 'pw',
      sslmode: 'verify-full',
      tls: { rootCert: '/etc/node2-ca.crt' },
    });
    // 127.0.0.1 is this machine's own address; the example's 172.16.91.x are not.
    expect(selfNode(topology, { ...own, host: '10.9.9.9' }).name).toBe('node1');
    const example = parseTopology(readFileSync(path.join(REPO_ROOT, 'examples/topology.yaml'), 'utf8'), 'topology.yaml');
    expect(() => selfNode(example, { ...own, host: '10.9.9.9' })).toThrow(/10.9.9.9 is no node's address/);
    expect(selfNode(example, { ...own, host: '10.9.9.9' }, 'node2').name).toBe('node2');
  });
});

/**
 * Two real PostgreSQL 18 servers named by a topology file: node1 and node2 on two loopback
 * addresses, the same port (test/support/failover-pair.ts). node2 is promoted while node1 is
 * down, node1 starts again as a primary (as its service manager would after a reboot): doctor
 * on either node names the split brain and node1 as the one to stop; then node1 is fenced both ways.
 */
describe('db doctor with the topology on a real pair (pg18)', () => {
  let pair: FailoverPair;
  let topologyFile: string;
  const hostOf = { node1: NODE1_ADDRESS, node2: NODE2_ADDRESS } as const;
  const url = (node: 'node1' | 'node2'): string => configUrl(pair.config(node));

  type Report = { code: number; checks: Array<{ id: string; severity: string; summary: string; data?: Record<string, unknown> }> };
  async function doctor(node: 'node1' | 'node2'): Promise<Report> {
    const r = await runInProcess(registerDoctor, ['doctor', '--json', '--url', url(node), '--topology', topologyFile], { cwd: pair.root });
    expect(r.err).toEqual([]);
    const report = JSON.parse(r.out.join('\n')) as Pick<Report, 'checks'>;
    return { code: r.code, checks: report.checks };
  }
  const pick = <T extends { id: string }>(checks: T[], prefix: string): T[] =>
    checks.filter((c) => c.id === prefix || c.id.startsWith(`${prefix}.`));

  beforeAll(async () => {
    pair = await startFailoverPair('pg18');
    topologyFile = path.join(pair.root, 'topology.yaml');
    await fs.writeFile(topologyFile, TOPOLOGY(pair.port, false, [hostOf.node1, hostOf.node2]));
  });

  afterAll(async () => {
    await pair?.close();
  });

  it('a healthy pair: the peer is a standby', async () => {
    const r = await doctor('node1');
    expect(pick(r.checks, 'peer')).toMatchObject([{ severity: 'ok' }]);
    expect(pick(r.checks, 'peer')[0]!.summary).toContain('peer node2 standby');
    expect(pick(r.checks, 'split_brain')).toEqual([]);
  });

  it('two primaries: CRITICAL on both nodes, naming both timelines and node1 (older timeline) as the one to stop', async () => {
    await pair.stop('node1');
    await query(pair.config('node2'), 'SELECT pg_promote(true, 60)');
    await pair.start('node1');
    await query(pair.config('node1'), 'CREATE TABLE written_after_fork AS SELECT 1 AS x');
    for (const node of ['node1', 'node2'] as const) {
      const r = await doctor(node);
      expect(r.code).toBe(2);
      expect(r.checks[0]!.id).toBe('split_brain');
      const [sb] = pick(r.checks, 'split_brain');
      expect(sb).toMatchObject({ severity: 'critical', data: { mustStop: 'node1', keeps: 'node2' } });
      expect(sb!.summary).toMatch(
        /node1 \(timeline 1, WAL [0-9A-F]+\/[0-9A-F]+\) and node2 \(timeline 2,|node2 \(timeline 2, WAL [0-9A-F]+\/[0-9A-F]+\) and node1 \(timeline 1,/,
      );
      expect(sb!.summary).toContain('node1 MUST STOP');
      expect(sb!.summary).toMatch(/forked from timeline 1 at [0-9A-F]+\/[0-9A-F]+/);
      expect(JSON.stringify(r.checks)).not.toContain(pair.password);
    }
  });

  it('node1 fenced read-only, then in standby mode: named as fenced, no split brain', async () => {
    const n1 = pair.config('node1');
    await query(n1, 'ALTER SYSTEM SET default_transaction_read_only = on');
    await query(n1, 'SELECT pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 300));
    let r = await doctor('node2');
    expect(pick(r.checks, 'split_brain')).toEqual([]);
    expect(pick(r.checks, 'fence')).toMatchObject([{ id: 'fence.node1', severity: 'warning', data: { fence: 'read-only' } }]);
    expect(pick(r.checks, 'fence')[0]!.summary).toContain('node2 is the primary: run `db rejoin` on node1');

    await query(n1, 'ALTER SYSTEM RESET default_transaction_read_only');
    await pair.stop('node1');
    const signal = path.join(pair.specs.node1.dataDir, 'standby.signal');
    await fs.writeFile(signal, '');
    const osUser = serverOsUser();
    if (osUser) await fs.chown(signal, osUser.uid, osUser.gid);
    await pair.start('node1');
    for (const node of ['node1', 'node2'] as const) {
      r = await doctor(node);
      expect(pick(r.checks, 'split_brain')).toEqual([]);
      expect(pick(r.checks, 'fence')).toMatchObject([{ id: 'fence.node1', severity: 'warning', data: { fence: 'standby-mode' } }]);
    }

    await pair.stop('node2');
    r = await doctor('node1');
    expect(r.code).toBe(2);
    expect(pick(r.checks, 'peer')).toMatchObject([{ severity: 'critical' }]);
    expect(pick(r.checks, 'fence')).toMatchObject([{ id: 'fence.node1', severity: 'critical' }]);
  });
});

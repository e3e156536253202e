import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/doctor/doctor.js';
import { withConnection } from '../../src/database/connect.js';
import { query } from '../support/database.js';
import { buildScramVerifier } from '../../src/roles/index.js';
import { type PairNode, type ReplicationPair, nodeConfig, startReplicationPair, waitForCatchUp } from '../support/standby.js';

// The harness every replication test builds on: proven here for both server kinds.
describe.each(['pg18', 'pg15'] as const)('replication pair (%s)', (kind) => {
  let pair: ReplicationPair;

  beforeAll(async () => {
    pair = await startReplicationPair(kind);
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('runs a primary and a hot standby of the expected major version', async () => {
    const [p] = await query<{ rec: boolean; v: string }>(
      nodeConfig(pair.primary),
      "SELECT pg_is_in_recovery() AS rec, current_setting('server_version_num') AS v",
    );
    const [s] = await query<{ rec: boolean; v: string }>(
      nodeConfig(pair.standby),
      "SELECT pg_is_in_recovery() AS rec, current_setting('server_version_num') AS v",
    );
    expect(p!.rec).toBe(false);
    expect(s!.rec).toBe(true);
    expect(Math.floor(Number(s!.v) / 10000)).toBe(kind === 'pg18' ? 18 : 15);
  });

  it('streams as node2 through node2_slot, logged in as replicator with a SCRAM password', async () => {
    await waitForCatchUp(pair);
    const rows = await query<{ usename: string; state: string; active: boolean; pw: string }>(
      nodeConfig(pair.primary),
      `
      SELECT r.usename, r.state, s.active, a.rolpassword AS pw
        FROM pg_stat_replication r
        JOIN pg_replication_slots s ON s.active_pid = r.pid
        JOIN pg_authid a ON a.rolname = r.usename
       WHERE r.application_name = 'node2' AND s.slot_name = 'node2_slot'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ usename: 'replicator', state: 'streaming', active: true });
    expect(rows[0]!.pw).toMatch(/^SCRAM-SHA-256\$4096:/);
    const [recv] = await query<{ status: string; slot_name: string }>(
      nodeConfig(pair.standby),
      'SELECT status, slot_name FROM pg_stat_wal_receiver',
    );
    expect(recv).toEqual({ status: 'streaming', slot_name: 'node2_slot' });
  });

  it('a write on the primary appears on the standby', async () => {
    await query(nodeConfig(pair.primary), 'CREATE TABLE IF NOT EXISTS harness_probe (id int PRIMARY KEY, note text)');
    await query(nodeConfig(pair.primary), "INSERT INTO harness_probe VALUES (1, 'from node1')");
    await waitForCatchUp(pair);
    const rows = await query<{ note: string }>(nodeConfig(pair.standby), 'SELECT note FROM harness_probe WHERE id = 1');
    expect(rows).toEqual([{ note: 'from node1' }]);
  });

  it('db doctor as a monitoring role: full replication view with pg_monitor, UNKNOWN (not a false alarm) without', async () => {
    for (const [role, extra] of [
      ['doctor_monitor', ' IN ROLE pg_monitor'],
      ['doctor_plain', ''],
    ] as const) {
      await query(nodeConfig(pair.primary), `CREATE ROLE ${role} LOGIN PASSWORD '${await buildScramVerifier(`${role}-pw`)}'${extra}`);
    }
    await waitForCatchUp(pair);
    const as = (node: PairNode, user: string) => ({ ...nodeConfig(node), user, password: `${user}-pw` });
    const replicationChecks = async (node: PairNode, user: string) => {
      const report = await withConnection(as(node, user), (c) => runDoctor(c));
      return Object.fromEntries(report.checks.filter((c) => /^(setting|slot|standby)\b/.test(c.id)).map((c) => [c.id, c.severity]));
    };
    for (const node of [pair.primary, pair.standby]) {
      const monitored = await replicationChecks(node, 'doctor_monitor');
      expect(Object.entries(monitored).filter(([, sev]) => sev !== 'ok')).toEqual([]);
    }
    const primaryPlain = await replicationChecks(pair.primary, 'doctor_plain');
    expect(primaryPlain['standby.node2']).toBe('unknown');
    expect(primaryPlain['slot.node2_slot']).toBe('ok');
    const standbyPlain = await replicationChecks(pair.standby, 'doctor_plain');
    expect(standbyPlain['standby.wal_receiver']).toBe('unknown');
    expect(Object.values({ ...primaryPlain, ...standbyPlain })).not.toContain('critical');
  });

  it('a write on the standby fails with SQLSTATE 25006', async () => {
    await expect(query(nodeConfig(pair.standby), "INSERT INTO harness_probe VALUES (2, 'from node2')")).rejects.toMatchObject({
      code: '25006',
    });
  });

  it('db doctor reads every replication check on both nodes of this server version', async () => {
    await waitForCatchUp(pair);
    for (const [node, role] of [
      [pair.primary, 'primary'],
      [pair.standby, 'standby'],
    ] as const) {
      const report = await withConnection(nodeConfig(node), (c) => runDoctor(c));
      expect(report.node.role).toBe(role);
      // The bare cluster has no platform roles (warnings); everything about replication must be readable and ok.
      const replication = report.checks.filter((c) => /^(setting|slot|standby)\b/.test(c.id));
      expect(replication.length).toBeGreaterThanOrEqual(7);
      expect(replication.filter((c) => c.severity !== 'ok').map((c) => `${c.id}: ${c.summary}`)).toEqual([]);
      expect(report.checks.filter((c) => c.severity === 'unknown')).toEqual([]);
    }
  });
});

import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneStandby } from '../../src/failover/clone.js';
import { PromoteLagTooHighError } from '../../src/failover/errors.js';
import { promoteStandby } from '../../src/failover/promote.js';
import { rejoinAsStandby } from '../../src/failover/rejoin.js';
import { serverOsUser } from '../../src/local/cluster.js';
import { query } from '../support/database.js';
import { nodeConfig, type ReplicationPair, startReplicationPair, waitForCatchUp } from '../support/standby.js';

/**
 * Each failover command refused on the wrong kind of node or an unsafe state, on a real PG 18
 * pair: a one-line error with a stable code, a hint, no password, and nothing changed.
 */
let pair: ReplicationPair;
let passfile: string;
let scratch: string;
const osUser = serverOsUser();
const limits = { maxLagBytes: 10 * 1024 * 1024, maxLagSeconds: 5 };

beforeAll(async () => {
  pair = await startReplicationPair('pg18');
  scratch = path.join(path.dirname(path.dirname(pair.standby.spec.dataDir)), 'scratch');
  await fs.mkdir(scratch, { recursive: true });
  passfile = path.join(path.dirname(pair.standby.spec.dataDir), 'replicator.pgpass');
});
afterAll(async () => {
  await pair?.stop();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; exitCode: number; message: string; hint: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: string; exitCode: number; message: string; hint: string };
    expect(e.message).not.toContain(pair.primary.password);
    expect(e.message).not.toContain(pair.replicator.password);
    return e;
  }
  throw new Error('expected a refusal');
}

const standbyIdentity = () => ({ applicationName: 'node3', slotName: 'node3_slot', replicationUser: 'replicator', passfile });

describe('db standby clone refuses', () => {
  it('a standby as its source (exit 4), and writes nothing', async () => {
    const dataDir = path.join(scratch, 'from-standby');
    const e = await refusal(cloneStandby({ primary: nodeConfig(pair.standby), dataDir, standby: standbyIdentity() }));
    expect(e).toMatchObject({ code: 'NODE_NOT_PRIMARY', exitCode: 4 });
    expect(e.message).toContain('is a hot standby');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a passfile others can read, or one without a line for the primary (exit 2); no slot is left behind', async () => {
    const loose = path.join(scratch, 'loose.pgpass');
    await fs.writeFile(loose, `127.0.0.1:*:*:replicator:${pair.replicator.password}\n`, { mode: 0o644 });
    await fs.chmod(loose, 0o644);
    if (osUser) await fs.chown(loose, osUser.uid, osUser.gid);
    const dataDir = path.join(scratch, 'bad-passfile');
    const a = await refusal(
      cloneStandby({ primary: nodeConfig(pair.primary), dataDir, standby: { ...standbyIdentity(), passfile: loose } }),
    );
    expect(a).toMatchObject({ code: 'PASSFILE_INVALID', exitCode: 2, hint: `chmod 600 ${loose}` });
    const other = path.join(scratch, 'other.pgpass');
    await fs.writeFile(other, 'db.example:5432:*:replicator:x\n', { mode: 0o600 });
    if (osUser) await fs.chown(other, osUser.uid, osUser.gid);
    const b = await refusal(
      cloneStandby({ primary: nodeConfig(pair.primary), dataDir, standby: { ...standbyIdentity(), passfile: other } }),
    );
    expect(b.code).toBe('PASSFILE_INVALID');
    expect(b.message).toContain(`has no line for replicator@127.0.0.1:${pair.primary.port}`);
    expect(existsSync(dataDir)).toBe(false);
    expect(await query(nodeConfig(pair.primary), "SELECT 1 FROM pg_replication_slots WHERE slot_name = 'node3_slot'")).toEqual([]);
  });

  it('the slot of a standby that is streaming (exit 3)', async () => {
    const e = await refusal(
      cloneStandby({
        primary: nodeConfig(pair.primary),
        dataDir: path.join(scratch, 'busy-slot'),
        standby: { ...standbyIdentity(), applicationName: 'node2', slotName: 'node2_slot' },
      }),
    );
    expect(e).toMatchObject({ code: 'PRIMARY_NOT_READY' });
    expect(e.message).toContain('slot node2_slot');
    expect(e.message).toContain('in use by a running standby');
  });
});

describe('db promote refuses', () => {
  it('a primary (exit 4)', async () => {
    const e = await refusal(promoteStandby({ standby: nodeConfig(pair.primary), thresholds: limits }));
    expect(e).toMatchObject({ code: 'NODE_NOT_STANDBY', exitCode: 4 });
  });

  it('a standby whose replay is behind the limit (exit 5), and says what it found', async () => {
    await waitForCatchUp(pair);
    await query(nodeConfig(pair.standby), 'SELECT pg_wal_replay_pause()');
    try {
      await query(nodeConfig(pair.primary), 'CREATE TABLE lag_probe AS SELECT g FROM generate_series(1, 20000) g');
      const [target] = await query<{ lsn: string }>(nodeConfig(pair.primary), 'SELECT pg_current_wal_flush_lsn()::text AS lsn');
      for (let i = 0; i < 600; i++) {
        const [r] = await query<{ ok: boolean }>(nodeConfig(pair.standby), 'SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn AS ok', [
          target!.lsn,
        ]);
        if (r!.ok) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const e = (await refusal(
        promoteStandby({ standby: nodeConfig(pair.standby), thresholds: { maxLagBytes: 1024, maxLagSeconds: 3600 } }),
      )) as PromoteLagTooHighError;
      expect(e).toBeInstanceOf(PromoteLagTooHighError);
      expect(e).toMatchObject({ code: 'PROMOTE_LAG_TOO_HIGH', exitCode: 5 });
      expect(e.findings?.lag.withinLimits).toBe(false);
      expect(e.findings?.lag.lagBytes).toBeGreaterThan(1024);
    } finally {
      await query(nodeConfig(pair.standby), 'SELECT pg_wal_replay_resume()');
    }
    expect(await query(nodeConfig(pair.standby), 'SELECT pg_is_in_recovery() AS r')).toEqual([{ r: true }]);
  });
});

describe('db rejoin refuses', () => {
  it('a data directory a server runs on, and a standby as the new primary (exit 4)', async () => {
    const running = await refusal(
      rejoinAsStandby({
        target: { ...nodeConfig(pair.primary), port: 1 },
        primary: nodeConfig(pair.primary),
        dataDir: pair.standby.spec.dataDir,
        standby: { replicationUser: 'replicator', passfile },
      }),
    );
    expect(running).toMatchObject({ code: 'SERVER_RUNNING', exitCode: 4 });
    expect(running.message).toContain(`is running on ${pair.standby.spec.dataDir}`);
    const notPrimary = await refusal(
      rejoinAsStandby({
        target: { ...nodeConfig(pair.primary), port: 1 },
        primary: nodeConfig(pair.standby),
        dataDir: path.join(scratch),
        standby: { replicationUser: 'replicator', passfile },
      }),
    );
    expect(notPrimary.code).toBe('DATA_DIR_INVALID'); // no PG_VERSION there: checked before any server
    await fs.writeFile(path.join(scratch, 'PG_VERSION'), '18\n');
    const standbyAsPrimary = await refusal(
      rejoinAsStandby({
        target: { ...nodeConfig(pair.primary), port: 1 },
        primary: nodeConfig(pair.standby),
        dataDir: scratch,
        standby: { replicationUser: 'replicator', passfile },
      }),
    );
    expect(standbyAsPrimary).toMatchObject({ code: 'NODE_NOT_PRIMARY', exitCode: 4 });
  });
});

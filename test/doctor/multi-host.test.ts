import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { createDb } from '../../src/index.js';
import { stopCluster } from '../../src/local/cluster.js';
import { runCli } from '../support/cli.js';
import { query } from '../support/database.js';
import { nodeConfig, type ReplicationPair, startReplicationPair, waitForCatchUp } from '../support/standby.js';

/**
 * Several hosts in one URL against a real PG 18 primary + hot standby: each target_session_attrs
 * value picks the node libpq would, the error names every host when none fits, and after a
 * failover (node 1 lost, node 2 promoted with pg_promote) the same URL reaches the new primary,
 * from the CLI (`db migrate`) and from the client's pool. The tests run in order.
 */
describe('several hosts and target_session_attrs (pg18 pair)', () => {
  let pair: ReplicationPair;
  let home: string;

  beforeAll(async () => {
    pair = await startReplicationPair('pg18');
    await query(nodeConfig(pair.primary), 'CREATE DATABASE voipdb');
    await waitForCatchUp(pair);
    home = pair.primary.spec.dataDir;
  });
  afterAll(async () => {
    await pair?.stop();
  });

  /** primary first (`p,s`) or standby first (`s,p`). */
  const url = (order: 'p,s' | 's,p', params: string, database = 'postgres'): string => {
    const { primary, standby } = pair;
    const hosts =
      order === 'p,s' ? `127.0.0.1:${primary.port},127.0.0.1:${standby.port}` : `127.0.0.1:${standby.port},127.0.0.1:${primary.port}`;
    return `postgres://${primary.user}:${primary.password}@${hosts}/${database}?${params}`;
  };
  /** Which node a new session lands on, named by its port. */
  const landsOn = async (connectionUrl: string): Promise<'primary' | 'standby'> => {
    const { config, problems } = resolveConnection({ url: connectionUrl, env: { HOME: home } });
    expect(problems).toEqual([]);
    const port = await withConnection(config!, async (c) => Number((await c.query('SELECT inet_server_port() AS port')).rows[0].port));
    return port === pair.primary.port ? 'primary' : 'standby';
  };

  it('each target_session_attrs value picks the node libpq would, whatever the order of the hosts', async () => {
    const expected: Record<string, ['primary' | 'standby', 'primary' | 'standby']> = {
      // [hosts primary first, hosts standby first]
      any: ['primary', 'standby'],
      'read-write': ['primary', 'primary'],
      'read-only': ['standby', 'standby'],
      primary: ['primary', 'primary'],
      standby: ['standby', 'standby'],
      'prefer-standby': ['standby', 'standby'],
    };
    for (const [attrs, [primaryFirst, standbyFirst]] of Object.entries(expected)) {
      expect(`${attrs}: ${await landsOn(url('p,s', `target_session_attrs=${attrs}`))}`).toBe(`${attrs}: ${primaryFirst}`);
      expect(`${attrs}: ${await landsOn(url('s,p', `target_session_attrs=${attrs}`))}`).toBe(`${attrs}: ${standbyFirst}`);
    }
  });

  it('db migrate with the standby listed first finds the primary through target_session_attrs=primary', async () => {
    const withoutAttrs = await runCli(['migrate', '--url', url('s,p', '', 'voipdb')], { env: { HOME: home } });
    expect(withoutAttrs.code).toBe(4);
    const r = await runCli(['migrate', '--url', url('s,p', 'target_session_attrs=primary', 'voipdb')], { env: { HOME: home } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`127.0.0.1:${pair.standby.port},127.0.0.1:${pair.primary.port}`);
    expect(r.stdout).not.toContain(pair.primary.password);
  });

  it('with the standby stopped, prefer-standby takes the primary and standby fails naming each host and why (exit 3)', async () => {
    await pair.stopStandby();
    try {
      expect(await landsOn(url('s,p', 'target_session_attrs=prefer-standby'))).toBe('primary');
      const r = await runCli(['status', '--url', url('s,p', 'target_session_attrs=standby')], { env: { HOME: home } });
      expect(r.code).toBe(3);
      const line = r.stderr.split('\n')[0]!;
      expect(line).toContain('error[NO_SUITABLE_HOST]: no host fits target_session_attrs=standby (2 tried)');
      expect(line).toContain(`127.0.0.1:${pair.standby.port} refused the connection`);
      expect(line).toContain(`127.0.0.1:${pair.primary.port} is a primary (read-write)`);
      expect(r.stderr).not.toContain(pair.primary.password);
    } finally {
      await pair.startStandby();
    }
  });

  it('after a failover (node 1 lost, node 2 promoted) the same URL reaches the new primary: db migrate and the client pool', async () => {
    const failoverUrl = url('p,s', 'target_session_attrs=read-write', 'voipdb');
    const db = createDb(failoverUrl);
    try {
      const port = async (): Promise<number> =>
        Number((await sql<{ port: number }>`SELECT inet_server_port() AS port`.execute(db)).rows[0]!.port);
      expect(await port()).toBe(pair.primary.port);

      await stopCluster(pair.primary.spec.dataDir);
      await withConnection(nodeConfig(pair.standby), (c) => c.query('SELECT pg_promote(wait => true)'));

      // The pooled session to node 1 died with it; the next one goes through host selection again.
      let seen: number | undefined;
      for (let i = 0; i < 3 && seen === undefined; i += 1) seen = await port().catch(() => undefined);
      expect(seen).toBe(pair.standby.port);
      const r = await runCli(['migrate', '--url', failoverUrl], { env: { HOME: home } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/applied 0 migration/);
    } finally {
      await db.destroy();
    }
  });
});

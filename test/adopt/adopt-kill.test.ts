import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { runCli, spawnCli } from '../support/cli.js';
import { configUrl, freshDatabase, query, type ServerName } from '../support/database.js';
import { ensureKamailio } from '../support/kamailio.js';
import { kamdbctlCreate } from '../support/kamdbctl.js';
import { rowCounts, seedKamdbctlRows } from './seed-kamdbctl.js';

/**
 * db adopt killed with SIGKILL in the middle of its transaction (deterministically: a session of
 * the test holds a lock on the last table adopt moves, so adopt waits there with the other tables
 * already moved) leaves the database exactly as it was, and a rerun succeeds.
 */
describe.each<ServerName>(['pg18', 'pg15'])('db adopt killed mid-run (%s)', (serverName) => {
  let db: ConnectionConfig;
  let before: Record<string, number>;

  beforeAll(async () => {
    const install = await ensureKamailio();
    db = await freshDatabase(serverName, 'kamkill');
    await kamdbctlCreate(db, install);
    await seedKamdbctlRows(db, { alice: 'a-secret', bob: 'b', carol: 'c', dave: 'd-secret' });
    before = await rowCounts(db, 'public');
  }, 300_000);

  it('leaves the original intact after SIGKILL; a rerun adopts', async () => {
    const blocker = new pg.Client({ ...db, application_name: 'voipdb-test-blocker' });
    await blocker.connect();
    let child: ReturnType<typeof spawnCli> | undefined;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE public.version IN ACCESS SHARE MODE');
      child = spawnCli(['adopt', '--lock-timeout', '120s'], { DATABASE_URL: configUrl(db) });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
      // Wait until adopt has moved tables and is queued behind our lock on version.
      let waiting: Array<{ pid: number; moved: string }> = [];
      for (let i = 0; i < 300 && waiting.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        waiting = await query<{ pid: number; moved: string }>(
          db,
          `SELECT a.pid, (SELECT count(*) FROM pg_locks h WHERE h.pid = a.pid AND h.granted AND h.mode = 'AccessExclusiveLock' AND h.locktype = 'relation') AS moved
             FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
            WHERE a.application_name = 'voipdb' AND NOT l.granted AND l.relation = 'public.version'::regclass`,
        );
      }
      expect(waiting).toHaveLength(1);
      expect(Number(waiting[0]!.moved)).toBeGreaterThan(20);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await blocker.query('ROLLBACK');
      // The server notices the dead client (client_connection_check_interval) and rolls back.
      for (let i = 0; i < 100; i++) {
        const alive = await query(db, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [waiting[0]!.pid]);
        if (alive.length === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await blocker.end();
    }
    const schemas = await query(db, "SELECT nspname FROM pg_namespace WHERE nspname IN ('kamailio', 'voip', 'voipdb_meta')");
    expect(schemas).toEqual([]);
    expect(await rowCounts(db, 'public')).toEqual(before);
    expect(await query(db, "SELECT password FROM public.subscriber WHERE username = 'alice'")).toEqual([{ password: 'a-secret' }]);

    const rerun = await runCli(['adopt'], { env: { DATABASE_URL: configUrl(db) } });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('adopted');
    expect(await rowCounts(db, 'kamailio')).toEqual({ ...before, version: before.version! + 3 });
  }, 120_000);
});

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { lsnToBytes } from '../../src/database/timeline.js';
import { commitsAfter } from '../../src/failover/wal-commits.js';
import { stopCluster } from '../../src/local/cluster.js';
import { type LocalServer, makeRunDir, startLocalServer } from '../support/servers.js';

/**
 * The WAL reader against the real thing: transactions committed on a PostgreSQL 18 and a 15
 * server after a known position, with subtransactions, aborted ones, full-page images and records
 * across pages and segments; the reader must find exactly the committed xids.
 */
describe.each(['pg18', 'pg15'] as const)('commits read from the WAL files (%s)', (kind) => {
  let root: string;
  let server: LocalServer;
  const config = (): ConnectionConfig => ({
    host: '127.0.0.1',
    port: server.port,
    user: 'postgres',
    password: server.password,
    database: 'postgres',
    applicationName: 't',
  });

  beforeAll(async () => {
    root = await makeRunDir(`wal-commits-${kind}`);
    server = await startLocalServer(kind, root, { full_page_writes: 'on', wal_level: 'replica' });
  });
  afterAll(async () => {
    if (server) await stopCluster(server.spec.dataDir);
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('finds every committed xid and subxid after the position, and no aborted one', async () => {
    const committed: number[] = [];
    const aborted: number[] = [];
    let from = '';
    let end = '';
    await withConnection(config(), async (c) => {
      await c.query('CREATE TABLE t (id serial PRIMARY KEY, pad text)');
      await c.query("INSERT INTO t (pad) SELECT repeat('x', 500) FROM generate_series(1, 2000)");
      // As node2_slot on the platform's primary: it keeps the WAL from where the standby stopped.
      await c.query("SELECT pg_create_physical_replication_slot('keep', true)");
      await c.query('CHECKPOINT'); // the next changes to t log full-page images
      from = (await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
      for (let i = 0; i < 30; i++) {
        await c.query('BEGIN');
        await c.query("UPDATE t SET pad = repeat('y', 500) WHERE id % 30 = $1", [i]);
        committed.push(Number((await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x));
        await c.query('COMMIT');
      }
      await c.query('BEGIN');
      await c.query('INSERT INTO t (pad) VALUES ($1)', ['top']);
      committed.push(Number((await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x));
      await c.query('SAVEPOINT s');
      await c.query('INSERT INTO t (pad) VALUES ($1)', ['sub']);
      const sub = (await c.query<{ x: string }>("SELECT xmin::text AS x FROM t WHERE pad = 'sub'")).rows[0]!.x;
      committed.push(Number(sub));
      await c.query('COMMIT');
      await c.query('BEGIN');
      await c.query('INSERT INTO t (pad) VALUES ($1)', ['gone']);
      aborted.push(Number((await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x));
      await c.query('ROLLBACK');
      // A large transaction: records across many pages and a segment switch.
      await c.query('BEGIN');
      await c.query('INSERT INTO t (pad) SELECT repeat(md5(g::text), 60) FROM generate_series(1, 20000) g');
      committed.push(Number((await c.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x));
      await c.query('COMMIT');
      await c.query('SELECT pg_switch_wal()');
      end = (await c.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
    });
    await stopCluster(server.spec.dataDir);
    const found = await commitsAfter(server.spec.dataDir, 1, from, end);
    expect(
      found.incomplete ?? 'complete',
      JSON.stringify({ from, end, dir: await fs.readdir(path.join(server.spec.dataDir, 'pg_wal')) }),
    ).toBe('complete');
    for (const x of committed) expect(found.xids.has(x), `xid ${x}`).toBe(true);
    for (const x of aborted) expect(found.xids.has(x)).toBe(false);
    expect(found.commits).toBeGreaterThanOrEqual(32);
    // Nothing before the position is counted.
    expect(Math.min(...found.xids)).toBeGreaterThanOrEqual(Math.min(...committed));

    // A missing segment makes the scan incomplete, never silently short.
    const segNo = Math.floor(lsnToBytes(from) / (16 * 1024 * 1024)) + 1;
    const name = `00000001${Math.floor(segNo / 256)
      .toString(16)
      .toUpperCase()
      .padStart(8, '0')}${(segNo % 256).toString(16).toUpperCase().padStart(8, '0')}`;
    const file = path.join(server.spec.dataDir, 'pg_wal', name);
    await fs.rename(file, `${file}.away`);
    try {
      const cut = await commitsAfter(server.spec.dataDir, 1, from, end);
      expect(cut.incomplete).toContain(`WAL segment ${name} is missing`);
    } finally {
      await fs.rename(`${file}.away`, file);
    }
  });
});

import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ingestCdrs } from '../../src/client/index.js';
import type { CdrRow } from '../../src/client/index.js';
import { serverOsUser, startCluster, stopCluster } from '../../src/local/cluster.js';
import { type CliRun, runCli } from '../support/cli.js';
import { type CommandNode, type CommandPair, cloneNode2Args, rejoinArgs, startCommandPrimary } from '../support/command-pair.js';
import { query } from '../support/database.js';
import { TEST_ROLE_PASSWORDS } from '../support/migrate.js';
import { cdrRow } from '../support/cdr.js';

/**
 * Split brain, then rejoin: node2 is promoted while node1 is down; node1 comes back as a primary
 * (as after a reboot) and takes CDRs and a new SIP extension that node2 never sees. `db rejoin`
 * of node1 finds them from the fork point, copies the CDRs to node2 through the client's
 * idempotent ingest (one of them FreeSWITCH had already re-posted to node2), lists the extension
 * in the salvage file, keeps node1's old directory aside, and makes node1 a standby of node2.
 * PostgreSQL 18 rejoins by a fresh clone (the old directory is moved aside); 15 by pg_rewind
 * (the old directory is copied aside first).
 */
describe.each(['pg18', 'pg15'] as const)('db rejoin salvages what only the old primary has (%s)', (kind) => {
  let pair: CommandPair;
  let node1: CommandNode;
  let node2: CommandNode;
  const osUser = serverOsUser();
  const db = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runCli(args, { env, timeoutMs: 180_000 });
  // One start time for every post of a CDR: (uuid, start_stamp) is the ingest's key.
  const callStart = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const cdr = (uuid: string): CdrRow => cdrRow(callStart, { uuid });

  beforeAll(async () => {
    pair = await startCommandPrimary(kind, 'salvage');
    ({ node1, node2 } = pair);
    const cloned = await db(cloneNode2Args(pair));
    expect(cloned.stderr).toBe('');
    await startCluster(node2.spec, osUser);
  }, 180_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('copies the CDRs to the new primary, lists the extension, keeps the old directory, and rejoins', async () => {
    // Everything node1 has so far reaches node2, then node1 stops and node2 is promoted.
    await query(node1.config(), 'CREATE TABLE public.before_fork AS SELECT 1 AS x');
    for (let i = 0; ; i++) {
      const seen = await query(node2.config(), "SELECT 1 FROM pg_class WHERE relname = 'before_fork'").then((r) => r.length === 1);
      if (seen) break;
      if (i > 300) throw new Error('node2 did not catch up');
      await new Promise((r) => setTimeout(r, 100));
    }
    await stopCluster(node1.spec.dataDir);
    const promoted = await db(['promote', '--url', node2.url()]);
    expect(promoted.stderr).toBe('');

    // node1 comes back as a primary (split brain) and takes writes node2 never sees.
    await startCluster(node1.spec, osUser);
    const uuids = Array.from({ length: 5 }, () => randomUUID());
    const reposted = randomUUID();
    const app1 = createDb({ ...node1.config(), user: 'voipadmin', password: TEST_ROLE_PASSWORDS.voipadmin });
    const app2 = createDb({ ...node2.config(), user: 'voipadmin', password: TEST_ROLE_PASSWORDS.voipadmin });
    try {
      expect((await ingestCdrs(app1, [...uuids, reposted].map(cdr))).inserted).toBe(6);
      // FreeSWITCH posted this one again through the VIP, now on node2: the salvage must not duplicate it.
      expect((await ingestCdrs(app2, [cdr(reposted)])).inserted).toBe(1);
    } finally {
      await app1.destroy();
      await app2.destroy();
    }
    await query(
      node1.config(),
      "INSERT INTO voip.extensions (domain_id, extension) SELECT id, '2999' FROM voip.domains ORDER BY id LIMIT 1",
    );
    await stopCluster(node1.spec.dataDir);

    const rejoined = await db([...rejoinArgs(pair, node1, node2), '--json']);
    expect(rejoined.stderr).toBe('');
    expect(rejoined.code).toBe(0);
    const r = JSON.parse(rejoined.stdout) as {
      method: string;
      keptAside: string;
      salvage: {
        forkLsn: string;
        oldTimeline: number;
        newTimeline: number;
        tables: Array<{ database: string; table: string; rows: number }>;
        cdrs: { found: number; inserted: number; alreadyThere: number };
        file: string;
      };
    };
    expect(r.method, rejoined.stdout).toBe(kind === 'pg15' ? 'pg_rewind' : 'clone');
    expect(r.salvage).toMatchObject({ oldTimeline: 1, newTimeline: 2, cdrs: { found: 6, inserted: 5, alreadyThere: 1 } });
    expect(r.salvage.forkLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(r.salvage.tables).toEqual(
      expect.arrayContaining([
        { database: 'voipdb', table: 'voip.cdr', rows: 6 },
        { database: 'voipdb', table: 'voip.extensions', rows: 1 },
      ]),
    );
    expect(r.salvage.tables.some((t) => t.table === 'public.before_fork')).toBe(false);
    // Every salvaged CDR is on the new primary, counted by uuid.
    const [{ n } = { n: -1 }] = await query<{ n: number }>(
      node2.config(),
      'SELECT count(DISTINCT uuid)::int AS n FROM voip.cdr WHERE uuid = ANY($1::uuid[])',
      [[...uuids, reposted]],
    );
    expect(n).toBe(6);
    // The extension is listed in the file beside the kept directory, not written anywhere.
    expect(r.salvage.file).toBe(`${r.keptAside}.salvage.jsonl`);
    const lines = (await fs.readFile(r.salvage.file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> });
    expect(lines.filter((l) => l.table === 'voip.extensions').map((l) => l.row.extension)).toEqual(['2999']);
    expect(lines.filter((l) => l.table === 'voip.cdr')).toHaveLength(6);
    expect(await query(node2.config(), "SELECT 1 FROM voip.extensions WHERE extension = '2999'")).toEqual([]);
    // The old directory is kept as it was.
    expect(existsSync(path.join(r.keptAside, 'PG_VERSION'))).toBe(true);
    expect(rejoined.stdout).not.toContain(node1.password);

    // node1 runs as a standby of node2 now.
    await startCluster(node1.spec, osUser);
    const [rec] = await query<{ r: boolean }>(node1.config(), 'SELECT pg_is_in_recovery() AS r');
    expect(rec?.r).toBe(true);
    await fs.rm(r.keptAside, { recursive: true, force: true });
  });
});

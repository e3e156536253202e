import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createScratchDatabase, dropScratchDatabase } from '../../src/database/scratch-database.js';
import { query, server, serverConfig } from '../support/database.js';
import { applyAllMigrations } from '../support/migrate.js';
import { KAMAILIO_SCRIPTS, PGBENCH_DIR, pgbench, prepareKamailioData, type KamailioTarget } from '../../bench/sections/kamailio.js';
import { copyFrom, copyLine } from '../../bench/lib/copy-in.js';
import pg from 'pg';

// The bench's own pieces on a small data set: Kamailio's stock schema is built from its 5.6.3
// scripts, both schemas get the same rows, and every pgbench script runs a few transactions
// without error and really writes. No timings are checked here (that is `npm run bench`).
const USERS = 20;
const pg18 = () => server('pg18');
let template: string;
let scratch: string;
let voipdb: KamailioTarget;
let stock: KamailioTarget;
const ctx = {
  get env() {
    const s = pg18();
    return { PGHOST: s.host, PGPORT: String(s.port), PGUSER: s.user, PGPASSWORD: s.password, PGDATABASE: 'postgres' };
  },
  config: (database: string) => serverConfig(pg18(), database),
  async createDatabase(prefix: string, from?: string) {
    return (await createScratchDatabase(serverConfig(pg18()), prefix, from ? { template: from } : {})).database;
  },
};

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-bench-smoke-'));
  template = await ctx.createDatabase('bench_smoke_template');
  await applyAllMigrations(ctx.config(template));
  ({ voipdb, stock } = await prepareKamailioData(ctx, template, USERS));
}, 120_000);

afterAll(async () => {
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  // Template databases cannot be dropped while a copy is being made; by now none is.
  for (const name of [voipdb?.database, stock?.database, template]) {
    if (name) await dropScratchDatabase(serverConfig(pg18()), name);
  }
});

test('both schemas hold the same subscribers and one contact per subscriber', async () => {
  const subscribers = (schema: string): string => `SELECT username, domain, ha1, ha1b FROM ${schema}.subscriber ORDER BY username`;
  const ours = await query(ctx.config(voipdb.database), subscribers('kamailio'));
  const theirs = await query(ctx.config(stock.database), subscribers('public'));
  expect(ours).toHaveLength(USERS);
  expect(theirs).toEqual(ours);
  const [contactsOurs] = await query<{ n: string }>(ctx.config(voipdb.database), 'SELECT count(*) AS n FROM kamailio.location');
  const [contactsTheirs] = await query<{ n: string }>(ctx.config(stock.database), 'SELECT count(*) AS n FROM public.location');
  expect([contactsOurs!.n, contactsTheirs!.n]).toEqual([String(USERS), String(USERS)]);
});

test.each(KAMAILIO_SCRIPTS.map((s) => s.file))(
  'pgbench script %s runs on voipdb and on the stock schema, every statement finding its row',
  async (file) => {
    // A statement that matches no row is no error to pgbench: a copy of the script stores each
    // statement's one row with \gset, which aborts the run (and fails the call) on zero rows.
    const checking = path.join(scratch, file);
    await fs.writeFile(checking, everyStatementFindsOneRow(await fs.readFile(path.join(PGBENCH_DIR, file), 'utf8')));
    for (const target of [voipdb, stock]) {
      // pgbench itself fails the call on a SQL error or a failed transaction.
      expect(await pgbench(ctx, target, checking, USERS, { seconds: 1, clients: 1, threads: 1 }, 5)).toBeGreaterThan(0);
    }
  },
);

/** The script with each statement's `;` replaced by `\gset` (writes return a row for it). */
function everyStatementFindsOneRow(script: string): string {
  const lines = script.split('\n').map((line) => {
    if (!/;\s*$/.test(line) || /^\s*(--|\\)/.test(line)) return line;
    const returning = /^\s*(insert|update|delete)\b/i.test(line) ? ' returning 1 as touched' : '';
    return line.replace(/;\s*$/, `${returning} \\gset found_`);
  });
  if (!lines.some((line) => line.endsWith('\\gset found_'))) throw new Error('no statement found in the script');
  return lines.join('\n');
}

test('the write scripts really update contacts by ruid (cseq moves off 1) in both schemas', async () => {
  for (const target of [voipdb, stock]) {
    await pgbench(ctx, target, 'usrloc-refresh-writeback.sql', USERS, { seconds: 1, clients: 1, threads: 1 }, 20);
    const table = target === voipdb ? 'kamailio.location' : 'public.location';
    const [row] = await query<{ n: string; total: string }>(
      ctx.config(target.database),
      `SELECT count(*) FILTER (WHERE cseq > 1) AS n, count(*) AS total FROM ${table}`,
    );
    expect(Number(row!.n)).toBeGreaterThan(0);
    expect(row!.total).toBe(String(USERS)); // new-contact inserts were deleted again
  }
});

test('copyFrom streams COPY text format through node-postgres and reports the row count', async () => {
  const client = new pg.Client(ctx.config(template));
  await client.connect();
  try {
    await client.query('CREATE TEMP TABLE copy_smoke (a integer, b text, c timestamptz)');
    const rows = await copyFrom(client, 'copy_smoke (a, b, c)', copyLine([1, 'x', new Date(0)]) + copyLine([2, null, null]));
    expect(rows).toBe(2);
    const { rows: stored } = await client.query('SELECT a, b, c FROM copy_smoke ORDER BY a');
    expect(stored).toEqual([
      { a: 1, b: 'x', c: new Date(0) },
      { a: 2, b: null, c: null },
    ]);
    await expect(copyFrom(client, 'copy_smoke (a)', 'not a number\n')).rejects.toThrow(/invalid input syntax/);
    // The connection is usable after a failed COPY.
    expect((await client.query('SELECT count(*)::int AS n FROM copy_smoke')).rows).toEqual([{ n: 2 }]);
  } finally {
    await client.end();
  }
});

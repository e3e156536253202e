import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDoctor } from '../../src/cli/commands/doctor.js';
import { createDb, setExtensionPassword } from '../../src/client/index.js';
import { StandbyWriteError } from '../../src/client/errors.js';
import { serverOsUser, startCluster, stopCluster } from '../../src/local/cluster.js';
import { type CliRun, runCli } from '../support/cli.js';
import { type CommandNode, type CommandPair, cloneNode2Args, rejoinArgs, startCommandPrimary } from '../support/command-pair.js';
import { query } from '../support/database.js';
import { runInProcess } from '../support/in-process-cli.js';
import { copyOfMigrations, TEST_ROLE_PASSWORDS } from '../support/migrate.js';

/**
 * Failover and failback with the commands alone, on real servers on loopback: node1 primary;
 * `db standby clone` makes node2; rows written; node1 stops; `db promote` node2 (refused while
 * node1 answers); services write there; a new migration; `db rejoin` node1 (pg_rewind where a
 * pg_rewind of the server's version is installed: Debian's 15; a fresh clone for 18); `db doctor`
 * OK on both; then the same back the other way.
 */
describe.each(['pg18', 'pg15'] as const)('failover and failback (%s)', (kind) => {
  type Node = CommandNode;
  let pair: CommandPair;
  let node1: Node;
  let node2: Node;
  let passfile: string;
  let migrationsDir: string;
  const osUser = serverOsUser();
  const expectedRewind = kind === 'pg15' ? 'pg_rewind' : 'clone';

  const db = async (args: string[], env: Record<string, string> = {}): Promise<CliRun> => {
    const t = Date.now();
    const r = await runCli(args, { env, timeoutMs: 120_000 });
    if (process.env.FAILOVER_TIMING) console.error(`${Date.now() - t} ms: db ${args[0]} ${args[1]}`);
    return r;
  };
  const inRecovery = async (n: Node): Promise<boolean> =>
    (await query<{ r: boolean }>(n.config(), 'SELECT pg_is_in_recovery() AS r'))[0]!.r;

  beforeAll(async () => {
    // Its own copy of the migrations: each direction adds one.
    migrationsDir = await copyOfMigrations('failover');
    pair = await startCommandPrimary(kind, 'failover', { migrationsDir });
    ({ node1, node2, passfile } = pair);
  }, 120_000);

  afterAll(async () => {
    await pair?.close();
    if (migrationsDir) await fs.rm(migrationsDir, { recursive: true, force: true });
  });

  /** Waits until `standby` shows a row committed on `primary` just now: everything before it has been replayed. */
  async function caughtUp(primary: Node, standby: Node): Promise<void> {
    const token = randomBytes(6).toString('hex');
    await query(primary.config(), 'CREATE TABLE IF NOT EXISTS public.catchup (token text)');
    await query(primary.config(), 'INSERT INTO public.catchup VALUES ($1)', [token]);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = await query(standby.config(), 'SELECT 1 FROM public.catchup WHERE token = $1', [token]).then(
        (r) => r.length === 1,
        () => false,
      );
      if (seen) return;
      if (Date.now() > deadline) throw new Error(`${standby.name} did not replay ${primary.name}'s writes within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** `db doctor --json` through its commander command in this process (the built CLI costs a Node start per call). */
  async function doctorOk(n: Node, role: 'primary' | 'standby'): Promise<void> {
    const r = await runInProcess(registerDoctor, ['doctor', '--json', '--url', n.url(), '--migrations-dir', migrationsDir], {
      cwd: pair.root,
    });
    expect(r.err).toEqual([]);
    const report = JSON.parse(r.out.join('\n')) as {
      node: { role: string };
      checks: Array<{ id: string; severity: string; summary: string }>;
    };
    expect(report.checks.filter((c) => c.severity !== 'ok').map((c) => `${c.id}: ${c.summary}`)).toEqual([]);
    expect(r.code).toBe(0);
    expect(report.node.role).toBe(role);
  }

  /** `db rejoin` of `from` as a standby of `to`. */
  const rejoin = (from: Node, to: Node, ...flags: string[]): Promise<CliRun> => db([...rejoinArgs(pair, from, to), ...flags]);

  /** While `from` still runs as the primary, promote and rejoin are refused and change nothing. */
  async function refusedWhileOldPrimaryRuns(from: Node, to: Node): Promise<void> {
    const refused = await db(['promote', '--url', to.url()]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('error[OLD_PRIMARY_ANSWERS]');
    expect(refused.stderr).toMatch(/hint: stop PostgreSQL on the old primary \(or fence/);
    expect(refused.stdout).toContain(`[answers] old primary 127.0.0.1:${from.spec.port}`);
    const early = await rejoin(from, to);
    expect(early.code).toBe(4);
    expect(early.stderr).toContain('error[SERVER_RUNNING]');
    expect(early.stderr).toContain('still a running primary');
    for (const r of [refused, early]) expect(r.stdout + r.stderr).not.toContain(from.password);
    expect(await inRecovery(to)).toBe(true);
  }

  /** Stops `from`, promotes `to` (refused first while `from` answers), rejoins `from`: one direction of the failover. */
  async function failOver(from: Node, to: Node, migration: string, checkRefusals: boolean): Promise<void> {
    if (checkRefusals) await refusedWhileOldPrimaryRuns(from, to);
    await query(from.config(), `CREATE TABLE IF NOT EXISTS public.calls_${from.name} (id int PRIMARY KEY)`);
    await query(from.config(), `INSERT INTO public.calls_${from.name} SELECT generate_series(1, 500)`);
    await caughtUp(from, to);
    await stopCluster(from.spec.dataDir);

    const promoted = await db(['promote', '--url', to.url(), '--json']);
    expect(promoted.stderr).toBe('');
    expect(promoted.code).toBe(0);
    const p = JSON.parse(promoted.stdout) as {
      promoted: boolean;
      slot: { name: string; created: boolean };
      findings: { oldPrimary: { answers: boolean } };
    };
    expect(p).toMatchObject({
      promoted: true,
      slot: { name: `${from.name}_slot`, created: true },
      findings: { oldPrimary: { answers: false } },
    });
    expect(await inRecovery(to)).toBe(false);
    expect(await query(to.config(), `SELECT count(*)::int AS n FROM public.calls_${from.name}`)).toEqual([{ n: 500 }]);

    // The services' writes work on the new primary: no StandbyWriteError any more.
    const client = createDb({ ...to.config(), user: 'voipadmin', password: TEST_ROLE_PASSWORDS.voipadmin });
    try {
      await setExtensionPassword(client, { domain: 'demo.voipdb.test', extension: '1001', password: `after-failover-to-${to.name}` });
    } finally {
      await client.destroy();
    }

    const table = `voip.${migration.slice(5, -4)}`;
    await fs.writeFile(path.join(migrationsDir, migration), `CREATE TABLE ${table} (id int);\n`);
    const migrated = await db(['migrate', '--url', to.url(), '--migrations-dir', migrationsDir]);
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);

    const rejoined = await rejoin(from, to, '--json');
    expect(rejoined.stderr).toBe('');
    expect(rejoined.code).toBe(0);
    const j = JSON.parse(rejoined.stdout) as { method: string; slot: { name: string } };
    expect(j, rejoined.stdout).toMatchObject({ method: expectedRewind, slot: { name: `${from.name}_slot` } });
    expect(rejoined.stdout).not.toContain(to.password);
    await startCluster(from.spec, osUser);
    expect(await inRecovery(from)).toBe(true);
    await caughtUp(to, from);
    expect(await query(from.config(), 'SELECT to_regclass($1)::text AS t', [table])).toEqual([{ t: table }]);
    await doctorOk(to, 'primary');
    await doctorOk(from, 'standby');
  }

  it('`db standby clone` makes node2 a streaming standby, and refuses a non-empty data directory', async () => {
    const cloned = await db([...cloneNode2Args(pair), '--json']);
    expect(cloned.stderr).toBe('');
    expect(cloned.code).toBe(0);
    const c = JSON.parse(cloned.stdout) as { method: string; slot: { name: string; created: boolean }; primaryConninfo: string };
    expect(c.method).toBe(kind === 'pg18' ? 'online-copy' : 'pg_basebackup');
    expect(c.slot).toEqual({ name: 'node2_slot', created: true });
    expect(c.primaryConninfo).toBe(`host=127.0.0.1 port=${node1.spec.port} user=replicator passfile=${passfile} application_name=node2`);
    expect(cloned.stdout).not.toContain(node1.password);
    const auto = await fs.readFile(path.join(node2.spec.dataDir, 'postgresql.auto.conf'), 'utf8');
    expect(auto).not.toContain(pair.replicatorPassword);
    expect(auto).toContain("primary_slot_name = 'node2_slot'");

    const again = await db(cloneNode2Args(pair));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('error[DATA_DIR_NOT_EMPTY]');

    await startCluster(node2.spec, osUser);
    await caughtUp(node1, node2);
    const client = createDb({ ...node2.config(), user: 'voipadmin', password: TEST_ROLE_PASSWORDS.voipadmin });
    try {
      await expect(
        setExtensionPassword(client, { domain: 'demo.voipdb.test', extension: '1001', password: 'on-the-standby' }),
      ).rejects.toBeInstanceOf(StandbyWriteError);
    } finally {
      await client.destroy();
    }
    await doctorOk(node1, 'primary');
    await doctorOk(node2, 'standby');
  }, 120_000);

  it(`fails over to node2 (promote, migrate) and rejoins node1 by ${expectedRewind}`, async () => {
    await failOver(node1, node2, '0900_after_failover.sql', true);
  }, 120_000);

  it(`fails back to node1 and rejoins node2 by ${expectedRewind}`, async () => {
    await failOver(node2, node1, '0901_after_failback.sql', false);
  }, 120_000);
});

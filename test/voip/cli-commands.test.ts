import { beforeAll, describe, expect, test } from 'vitest';
import { registerPartitions } from '../../src/cli/commands/partitions.js';
import { registerSeed } from '../../src/cli/commands/seed.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { configUrl, query } from '../support/database.js';
import { runInProcess } from '../support/in-process-cli.js';
import { migratedDatabase } from '../support/migrate.js';

/** Runs `db <args>` in-process with only the voip commands registered (main.ts wiring is the lead's). */
async function db(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  return runInProcess([registerSeed, registerPartitions], args);
}

describe('db seed / db partitions commands', () => {
  let dbConfig: ConnectionConfig;
  let url: string;
  beforeAll(async () => {
    dbConfig = await migratedDatabase('pg18');
    url = configUrl(dbConfig);
  });

  test('db partitions creates ahead, reports JSON, and refuses a bad --ahead with exit 2', async () => {
    const r = await db(['partitions', '--ahead', '1', '--json', '--url', url]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out[0]!);
    expect(json.created).toHaveLength(2);
    expect(json.created[0]).toMatch(/^cdr_\d{6}$/);
    const bad = await db(['partitions', '--ahead', 'soon', '--url', url]);
    expect(bad.code).toBe(2);
    expect(bad.err.join('\n')).toMatch(/--ahead must be a whole number/);
  });

  test('db seed loads the demo set, a second run says nothing changed; the password never appears', async () => {
    const first = await db(['seed', '--url', url]);
    expect(first.code).toBe(0);
    expect(first.out.join('\n')).toMatch(/voip\.extensions: 4/);
    const second = await db(['seed', '--url', url]);
    expect(second.code).toBe(0);
    expect(second.out.join('\n')).toMatch(/nothing changed/);
    expect([...first.out, ...second.out].join('\n')).not.toContain(dbConfig.password ?? '\u0000');
    const [n] = await query<{ n: number }>(dbConfig, `SELECT count(*)::int AS n FROM kamailio.subscriber`);
    expect(n!.n).toBe(3);
  });

  test('db seed --scale generates extensions and CDRs; sizes without --scale are a usage error', async () => {
    const r = await db(['seed', '--scale', '--extensions', '300', '--cdrs', '1000', '--json', '--url', url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!)).toMatchObject({ extensionsInserted: 300, cdrsInserted: 1000 });
    const bad = await db(['seed', '--extensions', '5', '--url', url]);
    expect(bad.code).toBe(2);
  });
});

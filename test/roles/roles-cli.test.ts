import { beforeAll, describe, expect, it } from 'vitest';
import { registerRoles } from '../../src/cli/commands/roles.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import type { RoleDescription } from '../../src/roles/describe-roles.js';
import { configUrl } from '../support/database.js';
import { runInProcess } from '../support/in-process-cli.js';
import { migratedDatabase } from '../support/migrate.js';

/** `db roles` through its commander registration, against a migrated PG18 database. */
async function runRoles(args: string[]): Promise<{ code: number; out: string[] }> {
  const r = await runInProcess(registerRoles, ['roles', ...args]);
  // Both streams: a stray stderr line breaks the --json parse and shows in the text checks.
  return { code: r.code, out: [...r.out, ...r.err] };
}

describe('db roles', () => {
  let db: ConnectionConfig;
  beforeAll(async () => {
    db = await migratedDatabase('pg18');
  });

  it('--json lists the three roles with login, password, search_path and privileges', async () => {
    const { out } = await runRoles(['--json', '--url', configUrl(db)]);
    const roles = JSON.parse(out.join('\n')) as RoleDescription[];
    expect(roles.map((r) => r.role)).toEqual(['kamailio', 'voipadmin', 'replicator']);
    const kamailio = roles.find((r) => r.role === 'kamailio')!;
    expect(kamailio).toMatchObject({ exists: true, loginAttribute: true, superuser: false, searchPath: 'kamailio' });
    expect(kamailio.password === 'set' || kamailio.password === 'none').toBe(true);
    expect(kamailio.privileges).toContain('CONNECT on the database');
    expect(kamailio.privileges).toContain('USAGE on schema kamailio');
    expect(kamailio.privileges.some((p) => / in voip$/.test(p))).toBe(false);
    expect(roles.find((r) => r.role === 'replicator')).toMatchObject({ replication: true, privileges: [] });
  });

  it('prints a readable summary without the connection password', async () => {
    const { out } = await runRoles(['--url', configUrl(db)]);
    const text = out.join('\n');
    expect(text).toMatch(/^kamailio: /m);
    expect(text).toContain('search_path: kamailio');
    expect(text).toMatch(/replicator: .*\n {2}attributes: {2}LOGIN REPLICATION/);
    expect(text).not.toContain(db.password!);
  });
});

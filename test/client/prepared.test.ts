import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { ConnectionConfig } from '../../src/config/connection.js';
import type { DB } from '../../src/generated/db.js';
import { createDb, lookupDirectoryUser } from '../../src/index.js';
import { withConnection } from '../../src/database/connect.js';
import { createExtension as createExtensionWith, kyselyOnConnection } from '../../src/client/index.js';
import { migratedDatabase } from '../support/migrate.js';
import { query } from '../support/database.js';

describe('the directory lookup as a prepared statement (pg18)', () => {
  let config: ConnectionConfig;
  let db: Kysely<DB>;

  beforeAll(async () => {
    config = await migratedDatabase('pg18');
    await query(config, "INSERT INTO voip.domains (name) VALUES ('prep.test')");
    await withConnection(config, (c) =>
      createExtensionWith(kyselyOnConnection(c), { domain: 'prep.test', extension: '100', password: 'prepared-pw' }),
    );
    // One connection, so the second lookup reuses the statement the first one prepared.
    db = createDb(config, { applicationName: 'prepared-test', maxConnections: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('is prepared once on the connection and reused', async () => {
    expect((await lookupDirectoryUser(db, { domain: 'PREP.test', user: '100' }))?.extension).toBe('100');
    expect(await lookupDirectoryUser(db, { domain: 'prep.test', user: 'nobody' })).toBeUndefined();
    const prepared = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements WHERE name LIKE 'voipdb_directory%'`.execute(db);
    expect(prepared.rows.map((r) => r.name)).toEqual([expect.stringMatching(/^voipdb_directory_by_extension_\d+$/)]);
  });

  it("keeps answering after a migration changes the view's columns (stale cached plan)", async () => {
    await lookupDirectoryUser(db, { domain: 'prep.test', user: '100' });
    await query(
      config,
      `CREATE OR REPLACE VIEW voip.directory_users AS SELECT *, 1 AS added_by_a_migration FROM (${(await query<{ def: string }>(config, "SELECT pg_get_viewdef('voip.directory_users'::regclass) AS def"))[0]!.def.replace(/;\s*$/, '')}) v`,
    );
    expect((await lookupDirectoryUser(db, { domain: 'prep.test', user: '100' }))?.extension).toBe('100');
  });
});

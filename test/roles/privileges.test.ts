import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withConnection } from '../../src/database/connect.js';
import { readPrivileges } from '../../src/roles/privileges.js';
import type { ServerName } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';

/**
 * Every privilege the platform roles and PUBLIC hold after all migrations, against the declared
 * expectation in test/expected/privileges.txt: a grant change is a visible diff of that file.
 * The same file must hold on PostgreSQL 15 and 18 (no MAINTAIN from a `GRANT ALL`).
 * To accept an intended change: VOIPDB_UPDATE_PRIVILEGES=1 npx vitest run test/roles/privileges.test.ts
 * and review the diff.
 */
const EXPECTED = path.resolve(import.meta.dirname, '../expected/privileges.txt');

describe.each<ServerName>(['pg18', 'pg15'])('privileges after all migrations on %s', (serverName) => {
  it('equal test/expected/privileges.txt', async () => {
    const db = await migratedDatabase(serverName);
    const actual = `${(await withConnection(db, readPrivileges)).join('\n')}\n`;
    if (process.env.VOIPDB_UPDATE_PRIVILEGES === '1' && serverName === 'pg18') await fs.writeFile(EXPECTED, actual);
    expect(actual).toBe(await fs.readFile(EXPECTED, 'utf8'));
    expect(actual).not.toMatch(/MAINTAIN/);
  });
});

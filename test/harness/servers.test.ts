import { describe, expect, it } from 'vitest';
import { freshDatabase, query } from '../support/database.js';

describe('test servers', () => {
  it.each(['pg18', 'pg15'] as const)('%s answers on a fresh database with the expected major version', async (name) => {
    const db = await freshDatabase(name);
    const rows = await query<{ v: string }>(db, "SELECT current_setting('server_version_num') AS v");
    expect(Math.floor(Number(rows[0]!.v) / 10000)).toBe(name === 'pg18' ? 18 : 15);
  });
});

import { describe, expect, it } from 'vitest';
import { GENERATED_TYPES_HEADER, generateTypes } from '../../src/schema/codegen.js';
import { migratedDatabase } from '../support/migrate.js';

describe('generated Kysely types', () => {
  it('are the same from PostgreSQL 15 and 18 and from run to run, keyed "schema.table", without voipdb_meta', async () => {
    const [db18, db15] = await Promise.all([migratedDatabase('pg18'), migratedDatabase('pg15')]);
    const types18 = await generateTypes(db18);
    expect(await generateTypes(db15)).toBe(types18);
    expect(await generateTypes(db18)).toBe(types18);
    expect(types18.split('\n')[0]).toBe(GENERATED_TYPES_HEADER);
    expect(types18).toContain('"voip.extensions": VoipExtensions;');
    expect(types18).toContain('"kamailio.subscriber": KamailioSubscriber;');
    expect(types18).not.toMatch(/voipdb_meta|VoipdbMeta/);
    // Partitions are reached through their parent only.
    expect(types18).not.toMatch(/"voip\.cdr_\d/);
  });
});

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adoptKamailioDatabase } from '../../src/adopt/adopt.js';
import { refuseUnadoptedKamailio } from '../../src/adopt/detect.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { withConnection } from '../../src/database/connect.js';
import { AdoptRefusedError, KamailioNotAdoptedError } from '../../src/adopt/errors.js';
import { freshDatabase, query } from '../support/database.js';
import { ensureKamailio, type KamailioInstall } from '../support/kamailio.js';
import { kamdbctlCreate } from '../support/kamdbctl.js';
import { copyOfMigrations, MIGRATIONS_DIR, migratedDatabase } from '../support/migrate.js';

/**
 * What db adopt does with what it does not know: a module outside voipdb's set (presence) and a
 * site's own column are reported and left untouched; a shape from another Kamailio release
 * (location version 8, a narrowed column) refuses with the list before any change; the 6.x
 * htable widths are recognised. And the refusal of db migrate stays out of voipdb's own databases.
 */
describe('db adopt and shapes it does not know (pg18)', () => {
  let install: KamailioInstall;
  beforeAll(async () => {
    install = await ensureKamailio();
  }, 300_000);

  it('reports tables outside the module set and a site column, leaves them untouched, and adopts the rest', async () => {
    const db = await freshDatabase('pg18', 'kamx');
    await kamdbctlCreate(db, install, { extraModules: ['presence', 'htable'] });
    await query(db, 'ALTER TABLE public.subscriber ADD COLUMN email varchar(128)');
    await query(
      db,
      "INSERT INTO public.subscriber (username, domain, password, email) VALUES ('zoe', 'example.test', 'pw', 'zoe@example.test')",
    );
    const result = await adoptKamailioDatabase(db, { migrationsDir: MIGRATIONS_DIR });
    if (!('plan' in result)) throw new Error('expected a plan');
    expect(result.plan.kamailioRelease).toMatch(/^5\.6 /);
    expect(result.plan.differences).toContain('column htable.key_name character varying(64) -> character varying(256)');
    expect(result.plan.notes.join('\n')).toMatch(/table public\.presentity belongs to a Kamailio module outside voipdb's set/);
    expect(result.plan.notes.join('\n')).toMatch(/column subscriber\.email .* kept, untouched/);
    const presentity = await query(db, "SELECT relnamespace::regnamespace::text AS schema FROM pg_class WHERE relname = 'presentity'");
    expect(presentity).toEqual([{ schema: 'public' }]);
    const zoe = await query(db, "SELECT email, password FROM kamailio.subscriber WHERE username = 'zoe'");
    expect(zoe).toEqual([{ email: 'zoe@example.test', password: '' }]);
    const width = await query(
      db,
      "SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'kamailio.htable'::regclass AND attname = 'key_value'",
    );
    expect(width).toEqual([{ t: 'character varying(512)' }]);
  });

  it('refuses an unknown shape with the list of problems, before any change', async () => {
    const db: ConnectionConfig = await freshDatabase('pg18', 'kamold');
    await kamdbctlCreate(db, install);
    await query(db, "UPDATE public.version SET table_version = 8 WHERE table_name = 'location'");
    await query(db, 'ALTER TABLE public.dispatcher ALTER COLUMN destination TYPE text');
    const error = await adoptKamailioDatabase(db, { migrationsDir: MIGRATIONS_DIR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdoptRefusedError);
    const refused = error as AdoptRefusedError;
    expect(refused.code).toBe('ADOPT_REFUSED');
    expect(refused.problems).toEqual([
      'column dispatcher.destination is text, voipdb expects character varying(192)',
      expect.stringMatching(/^version row location is 8, voipdb expects 9/),
    ]);
    expect(await query(db, "SELECT nspname FROM pg_namespace WHERE nspname IN ('kamailio', 'voip', 'voipdb_meta')")).toEqual([]);
    const error2 = await withConnection(db, (c) => refuseUnadoptedKamailio(c)).catch((e: unknown) => e);
    expect(error2).toBeInstanceOf(KamailioNotAdoptedError);
    expect((error2 as KamailioNotAdoptedError).exitCode).toBe(5);
  });

  it('marks the subscriber rows it takes over in voip.subscriber_owners when a migration has made that table', async () => {
    // The repository's migrations plus a last one that makes the marker table (as the ownership
    // migration does), so this holds whether or not that migration is in the repository yet.
    const dir = await copyOfMigrations('adopt');
    await fs.writeFile(
      path.join(dir, '0999_owners_for_test.sql'),
      'CREATE TABLE IF NOT EXISTS voip.subscriber_owners (subscriber_id integer PRIMARY KEY REFERENCES kamailio.subscriber (id) ON DELETE CASCADE);\n',
    );
    try {
      const db = await freshDatabase('pg18', 'kamown');
      await kamdbctlCreate(db, install);
      await query(
        db,
        "INSERT INTO public.subscriber (username, domain, password) VALUES ('amy', 'example.test', 'pw1'), ('+1', 'example.test', 'pw2')",
      );
      const result = await adoptKamailioDatabase(db, { migrationsDir: dir });
      expect('plan' in result && result.subscriberOwnersMarked).toBe(true);
      const marked = await query(
        db,
        'SELECT s.username FROM voip.subscriber_owners o JOIN kamailio.subscriber s ON s.id = o.subscriber_id',
      );
      expect(marked).toEqual([{ username: 'amy' }]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('never refuses a database voipdb built itself', async () => {
    const db = await migratedDatabase('pg18');
    await expect(withConnection(db, (c) => refuseUnadoptedKamailio(c))).resolves.toBeUndefined();
    const empty = await freshDatabase('pg18', 'kamnone');
    await expect(withConnection(empty, (c) => refuseUnadoptedKamailio(c))).resolves.toBeUndefined();
  });
});

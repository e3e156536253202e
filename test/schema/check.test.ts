import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSchemaChecks, type CheckName, type CheckReport } from '../../src/schema/check.js';
import { query, server, serverConfig } from '../support/database.js';
import { migratedDatabase } from '../support/migrate.js';
import { LIVE_CHECKS, REPOSITORY_CHECKS } from './check-names.js';

const PROJECT = path.resolve(import.meta.dirname, '../..');
const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => fs.rm(d, { recursive: true, force: true })));
});

const byName = (report: CheckReport, name: CheckName) => {
  const check = report.checks.find((c) => c.name === name);
  if (!check) throw new Error(`check ${name} missing from the report: ${report.checks.map((c) => c.name).join(', ')}`);
  return check;
};

/** A copy of what `db check` reads: migrations, schema.sql, the generated types, the expected privileges. */
async function projectCopy(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-check-'));
  temps.push(dir);
  await fs.cp(path.join(PROJECT, 'migrations'), path.join(dir, 'migrations'), { recursive: true });
  for (const file of ['schema.sql', 'src/generated/db.ts', 'test/expected/privileges.txt']) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.copyFile(path.join(PROJECT, file), path.join(dir, file));
  }
  return dir;
}

describe('db check', () => {
  it('passes every check on the repository as committed, also against a live database built from it', async () => {
    const live = await migratedDatabase('pg18');
    const report = await runSchemaChecks({ server: serverConfig(server('pg18')), projectDir: PROJECT, live });
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.summary}\n${c.details.join('\n')}\n${c.diff ?? ''}`);
    expect(failed).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual([...REPOSITORY_CHECKS, ...LIVE_CHECKS]);
    expect(report.ok).toBe(true);
  });

  it('fails each check, naming it, on a deliberately broken copy', async () => {
    const dir = await projectCopy();
    // An edited schema.sql.
    await fs.appendFile(path.join(dir, 'schema.sql'), '-- edited by hand\n');
    // A new migration: a column the committed types lack, a stray grant, a blocking index (lint),
    // and a down file that forgets to revoke the grant.
    await fs.writeFile(
      path.join(dir, 'migrations/0099_broken.sql'),
      [
        'ALTER TABLE voip.extensions ADD COLUMN broken_note text;',
        'GRANT SELECT ON voip.extensions TO kamailio;',
        'CREATE INDEX extensions_broken_note_idx ON voip.extensions (broken_note);',
        '',
      ].join('\n'),
    );
    await fs.writeFile(
      path.join(dir, 'migrations/0099_broken.down.sql'),
      ['DROP INDEX voip.extensions_broken_note_idx;', 'ALTER TABLE voip.extensions DROP COLUMN broken_note;', ''].join('\n'),
    );
    // A live database with an object added by hand and an applied file whose checksum no longer matches.
    const live = await migratedDatabase('pg18');
    await query(live, 'CREATE TABLE voip.made_by_hand (id int)');
    // An INVALID index, as a failed (or killed) CREATE INDEX CONCURRENTLY leaves it.
    await query(live, 'INSERT INTO voip.made_by_hand VALUES (1), (1)');
    await expect(query(live, 'CREATE UNIQUE INDEX CONCURRENTLY made_by_hand_id_key ON voip.made_by_hand (id)')).rejects.toMatchObject({
      code: '23505',
    });
    await query(live, "UPDATE voipdb_meta.migrations SET checksum = repeat('0', 64) WHERE version = 1");

    const report = await runSchemaChecks({ server: serverConfig(server('pg18')), projectDir: dir, live });
    expect(report.ok).toBe(false);
    expect(byName(report, 'migrations-apply').ok).toBe(true);

    const schema = byName(report, 'schema-sql');
    expect(schema.ok).toBe(false);
    expect(schema.diff).toContain('\n--- edited by hand\n');

    const types = byName(report, 'generated-types');
    expect(types.ok).toBe(false);
    expect(types.diff).toMatch(/\n\+ {2}broken_note: string \| null;/);

    const downUp = byName(report, 'down-up');
    expect(downUp.ok).toBe(false);
    expect(downUp.diff).toContain('+GRANT SELECT ON TABLE voip.extensions TO kamailio;');

    const lint = byName(report, 'lint');
    expect(lint.ok).toBe(false);
    expect(lint.details.join('\n')).toContain('0099_broken.sql:3: [index-without-concurrently]');

    const privileges = byName(report, 'privileges');
    expect(privileges.ok).toBe(false);
    expect(privileges.diff).toContain('+table voip.extensions: kamailio SELECT');

    const checksums = byName(report, 'live-checksums');
    expect(checksums.ok).toBe(false);
    expect(checksums.details.join('\n')).toMatch(/0001_schemas\.sql was changed after it was applied/);

    const drift = byName(report, 'live-drift');
    expect(drift.ok).toBe(false);
    expect(drift.diff).toContain('+CREATE TABLE voip.made_by_hand (');

    const indexes = byName(report, 'live-indexes');
    expect(indexes.ok).toBe(false);
    expect(indexes.details[0]).toBe('voip.made_by_hand_id_key on voip.made_by_hand');
  });
});

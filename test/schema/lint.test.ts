import { promises as fs } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lintMigrationText, lintMigrationTexts, prepareLint, RULES, type RuleName } from '../../src/schema/lint/lint.js';

beforeAll(prepareLint);

const rulesOf = (sql: string, file = '0009_x.sql'): RuleName[] => lintMigrationText({ file, text: sql }).map((f) => f.rule);
const NO_TX = '-- voipdb:no-transaction\n';

describe('migration lint rules: each fires on the hazard and stays quiet on the safe form', () => {
  const cases: Array<[RuleName, string, string]> = [
    ['index-without-concurrently', 'CREATE INDEX i ON voip.extensions (a);', 'CREATE TABLE voip.t (a int); CREATE INDEX i ON voip.t (a);'],
    [
      'concurrently-in-transaction',
      'CREATE INDEX CONCURRENTLY i ON voip.extensions (a);',
      `${NO_TX}CREATE INDEX CONCURRENTLY i ON voip.extensions (a);`,
    ],
    ['concurrently-in-transaction', 'DROP INDEX CONCURRENTLY voip.i;', `${NO_TX}DROP INDEX CONCURRENTLY voip.i;`],
    [
      'add-column-not-null-without-default',
      'ALTER TABLE voip.extensions ADD COLUMN b int NOT NULL;',
      'ALTER TABLE voip.extensions ADD COLUMN b int NOT NULL DEFAULT 0;',
    ],
    [
      'volatile-default-on-existing-table',
      'ALTER TABLE voip.extensions ADD COLUMN u uuid DEFAULT gen_random_uuid();',
      'ALTER TABLE voip.extensions ADD COLUMN t timestamptz DEFAULT now();',
    ],
    [
      'volatile-default-on-existing-table',
      'ALTER TABLE voip.extensions ADD COLUMN n bigserial;',
      'CREATE TABLE voip.t (a int); ALTER TABLE voip.t ADD COLUMN n bigserial;',
    ],
    ['drop-column', 'ALTER TABLE voip.extensions DROP COLUMN legacy;', 'ALTER TABLE voip.extensions ADD COLUMN c text;'],
    ['drop-table', 'DROP TABLE voip.old_things;', 'DROP INDEX voip.i;'],
    [
      'alter-column-type',
      'ALTER TABLE voip.extensions ALTER COLUMN a TYPE bigint;',
      'CREATE TABLE voip.t (a int); ALTER TABLE voip.t ALTER COLUMN a TYPE bigint;',
    ],
    [
      'set-not-null-on-existing-table',
      'ALTER TABLE voip.extensions ALTER COLUMN a SET NOT NULL;',
      'CREATE TABLE voip.t (a int); ALTER TABLE voip.t ALTER COLUMN a SET NOT NULL;',
    ],
    [
      'constraint-without-not-valid',
      'ALTER TABLE voip.extensions ADD CONSTRAINT c CHECK (a > 0);',
      'ALTER TABLE voip.extensions ADD CONSTRAINT c CHECK (a > 0) NOT VALID;',
    ],
    ['lock-timeout-disabled', 'SET lock_timeout = 0;', "SET lock_timeout = '2s';"],
    ['lock-timeout-disabled', 'RESET lock_timeout;', 'RESET work_mem;'],
    ['lock-timeout-disabled', "SET LOCAL statement_timeout TO '0';", "SET LOCAL statement_timeout TO '5min';"],
    ['grant-all', 'GRANT ALL ON voip.extensions TO voipadmin;', 'GRANT SELECT, INSERT ON voip.extensions TO voipadmin;'],
    [
      'grant-all',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA voip GRANT ALL ON TABLES TO voipadmin;',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA voip GRANT SELECT ON TABLES TO voipadmin;',
    ],
    ['kamailio-table-outside-schema', 'CREATE TABLE voip.subscriber (id int);', 'CREATE TABLE kamailio.subscriber (id int);'],
    ['kamailio-table-outside-schema', 'CREATE VIEW location AS SELECT 1 AS a;', 'CREATE VIEW voip.locations AS SELECT 1 AS a;'],
  ];
  it.each(cases)('%s: %s', (rule, bad, good) => {
    expect(rulesOf(bad)).toContain(rule);
    expect(rulesOf(good)).not.toContain(rule);
  });

  it('every rule has a one-line why', () => {
    for (const [name, why] of Object.entries(RULES)) {
      expect(why, name).toMatch(/^[a-zA-Z`].{20,}$/);
      expect(why, name).not.toContain('\n');
    }
  });
});

describe('silencing', () => {
  const bad = 'ALTER TABLE voip.extensions DROP COLUMN legacy;';
  it('an allow comment with a reason directly before the statement silences that rule there only', () => {
    const sql = `-- voipdb:allow drop-column nothing reads it since release 12\n${bad}\n${bad}`;
    const findings = lintMigrationText({ file: '0009_x.sql', text: sql });
    expect(findings.map((f) => [f.rule, f.line])).toEqual([['drop-column', 3]]);
  });
  it('an allow comment without a reason silences nothing and is reported', () => {
    expect(rulesOf(`-- voipdb:allow drop-column\n${bad}`).sort()).toEqual(['allow-missing-reason', 'drop-column']);
  });
  it('an unknown rule name and an allow that silences nothing are reported', () => {
    expect(rulesOf(`-- voipdb:allow drop-colum typo here\n${bad}`).sort()).toEqual(['allow-unknown-rule', 'drop-column']);
    expect(rulesOf('-- voipdb:allow drop-table not needed\nSELECT 1;')).toEqual(['allow-unused']);
  });
  it('down files may drop what their migration made', () => {
    expect(rulesOf('DROP TABLE voip.t; ALTER TABLE voip.x DROP COLUMN c;', '0009_x.down.sql')).toEqual([]);
    expect(rulesOf('GRANT ALL ON voip.t TO voipadmin;', '0009_x.down.sql')).toEqual(['grant-all']);
  });
});

describe('positions and parse errors', () => {
  it('reports the line of the statement, counting bytes of non-ASCII text correctly', () => {
    const sql = "-- Größe, Übersicht: ÄÖÜ\nCOMMENT ON SCHEMA voip IS 'Ünïcödé';\n\nCREATE INDEX i ON voip.extensions (a);\n";
    const findings = lintMigrationText({ file: '0009_x.sql', text: sql });
    expect(findings).toEqual([expect.objectContaining({ rule: 'index-without-concurrently', line: 4, file: '0009_x.sql' })]);
    expect(findings[0]!.message).toContain('voip.extensions');
  });
  it('a file that does not parse is one syntax-error finding with its line', () => {
    const findings = lintMigrationText({ file: '0009_x.sql', text: 'SELECT 1;\nCREAT TABLE x ();' });
    expect(findings).toEqual([expect.objectContaining({ rule: 'syntax-error', line: 2 })]);
  });
});

describe('the repository migrations', () => {
  it('pass the lint', async () => {
    const dir = path.resolve(import.meta.dirname, '../../migrations');
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql'));
    const texts = await Promise.all(files.map(async (file) => ({ file, text: await fs.readFile(path.join(dir, file), 'utf8') })));
    expect(lintMigrationTexts(texts)).toEqual([]);
  });
});

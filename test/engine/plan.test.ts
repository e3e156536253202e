import { describe, expect, it } from 'vitest';
import type { MigrationFile } from '../../src/engine/files.js';
import { checksumOf, isNoTransaction } from '../../src/engine/files.js';
import type { AppliedMigration } from '../../src/engine/history.js';
import { planDown, planUp, verifyHistory } from '../../src/engine/plan.js';

const file = (version: number, withDown = true): MigrationFile => ({
  version,
  name: `m${version}`,
  file: `${String(version).padStart(4, '0')}_m${version}.sql`,
  path: '',
  checksum: checksumOf(`-- ${version}`),
  sql: `-- ${version}`,
  transactional: true,
  hasDown: withDown,
});
const applied = (version: number): AppliedMigration => ({
  version,
  name: `m${version}`,
  checksum: checksumOf(`-- ${version}`),
  appliedAt: new Date(0),
  durationMs: 1,
  appliedBy: 'x',
});

describe('planning (pure)', () => {
  it('refuses a target with both to and step, naming the values a library caller passed, not CLI flags', () => {
    const files = [file(1), file(2)];
    const both = (): unknown => planUp(files, [], { to: 2, step: 1 });
    expect(both).toThrow(/to: 2\b.*step: 1\b/);
    expect(both).not.toThrow(/--/);
    expect(() => planDown(files, [applied(1)], {})).toThrow(
      /exactly one of a target version \(to\) or a number of migrations \(step\); got neither/,
    );
  });

  it('plans pending migrations in order, up to --to', () => {
    const files = [file(1), file(2), file(3)];
    expect(planUp(files, [applied(1)]).map((f) => f.version)).toEqual([2, 3]);
    expect(planUp(files, [applied(1)], { to: 2 }).map((f) => f.version)).toEqual([2]);
    expect(() => planUp(files, [], { to: 9 })).toThrow(expect.objectContaining({ code: 'MIGRATION_TARGET_UNKNOWN' }));
  });

  it('plans reverts newest first, by --to or --step, and refuses a missing down file before anything', () => {
    const files = [file(1), file(2, false), file(3)];
    const history = [applied(1), applied(2), applied(3)];
    expect(planDown(files, history, { step: 1 }).map((f) => f.version)).toEqual([3]);
    expect(() => planDown(files, history, { to: 1 })).toThrow(expect.objectContaining({ code: 'MIGRATION_DOWN_MISSING' }));
    expect(() => planDown(files, history, {})).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('line endings do not change a checksum; content does', () => {
    expect(checksumOf('a\r\nb\r\n')).toBe(checksumOf('a\nb\n'));
    expect(checksumOf('a\nb\n')).not.toBe(checksumOf('a\nb \n'));
  });

  it('the no-transaction marker counts only on the first line', () => {
    expect(isNoTransaction('-- voipdb:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);')).toBe(true);
    expect(isNoTransaction('SELECT 1;\n-- voipdb:no-transaction\n')).toBe(false);
  });

  it('verifies history: changed, missing and out-of-order files', () => {
    expect(() => verifyHistory([file(1), file(3)], [applied(1), applied(3)])).not.toThrow();
    expect(() => verifyHistory([file(3)], [applied(1), applied(3)])).toThrow(expect.objectContaining({ code: 'MIGRATION_FILE_MISSING' }));
    expect(() => verifyHistory([file(1), file(2), file(3)], [applied(1), applied(3)])).toThrow(
      expect.objectContaining({ code: 'MIGRATION_OUT_OF_ORDER' }),
    );
    const changed = { ...file(1), checksum: checksumOf('edited') };
    expect(() => verifyHistory([changed], [applied(1)])).toThrow(expect.objectContaining({ code: 'MIGRATION_CHECKSUM_MISMATCH' }));
  });
});

import { describe, expect, it } from 'vitest';
import { classifyFileName } from '../../src/engine/files.js';

describe('the migration file naming rule', () => {
  it('accepts up and down SQL files', () => {
    for (const name of ['0001_schemas.sql', '1_a.sql', '123456789_x_2.sql']) expect(classifyFileName(name)).toBe('up');
    expect(classifyFileName('0001_schemas.down.sql')).toBe('down');
  });

  it('tells a versioned TypeScript/JavaScript migration apart, to be refused as unsupported', () => {
    for (const name of ['123456789_x_2.ts', '0002_b.js', '0003_c.mjs']) expect(classifyFileName(name)).toBe('module');
  });

  it('ignores what is plainly not a migration', () => {
    for (const name of ['README.md', 'README', '.gitkeep', '.0001_a.sql.swp', 'notes.txt', 'helpers.ts', 'shared.js']) {
      expect(classifyFileName(name)).toBe('ignored');
    }
  });

  it('refuses what looks like a migration but breaks the rule, saying what is wrong and the name to use', () => {
    const problem = (name: string): string => (classifyFileName(name) as { problem: string }).problem;
    expect(problem('0008_AddThing.sql')).toBe(
      'the name after the version may hold only lower-case letters, digits and underscores (rename it to 0008_add_thing.sql)',
    );
    expect(problem('0008-add-thing.sql')).toBe('the version is not followed by an underscore (rename it to 0008_add_thing.sql)');
    expect(problem('0008add_thing.sql')).toBe('the version is not followed by an underscore (rename it to 0008_add_thing.sql)');
    expect(problem('0008_add thing.sql')).toContain('(rename it to 0008_add_thing.sql)');
    expect(problem('0008_add_thing.SQL')).toBe('it does not end in .sql or .down.sql (rename it to 0008_add_thing.sql)');
    expect(problem('0008_add_thing.sql~')).toBe('it does not end in .sql or .down.sql');
    expect(problem('0008_Add.Down.sql')).toContain('(rename it to 0008_add.down.sql)');
    expect(problem('add_thing.sql')).toBe('it has no version number');
    expect(problem('1234567890_x.sql')).toBe('the version has more than 9 digits');
  });
});

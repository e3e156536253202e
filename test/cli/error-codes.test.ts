import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCode, NoConnectionConfiguredError } from '../../src/errors.js';

/** Every module that declares error classes: the shared one, and the failover and backup commands' own. */
const ERROR_FILES = ['../../src/errors.ts', '../../src/failover/errors.ts', '../../src/backup/errors.ts'].map((f) =>
  path.resolve(import.meta.dirname, f),
);

/** MigrationLockTimeoutError -> MIGRATION_LOCK_TIMEOUT */
const codeFor = (className: string): string =>
  className
    .replace(/Error$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();

describe('error codes', () => {
  it('every error class has the code of its name: UPPER_SNAKE without the Error suffix', async () => {
    const source = (await Promise.all(ERROR_FILES.map((f) => fs.readFile(f, 'utf8')))).join('\n');
    const classes = [...source.matchAll(/^export (?:abstract )?class (\w+) extends (\w+) \{([\s\S]*?)^\}/gm)];
    const found = classes.map(([, name, , body]) => ({
      name: name!,
      code: /readonly code(?:: string)? = '([A-Z0-9_]+)'/.exec(body!)?.[1],
    }));
    expect(found.length).toBeGreaterThan(25);
    const concrete = found.filter((c) => c.name !== 'VoipdbError');
    expect(concrete.filter((c) => c.code !== codeFor(c.name!))).toEqual([]);
  });

  it('a former code still matches', () => {
    const error = new NoConnectionConfiguredError();
    expect(error.code).toBe('NO_CONNECTION_CONFIGURED');
    expect(hasCode(error, 'NO_CONNECTION')).toBe(true);
    expect(hasCode(error, 'NO_CONNECTION_CONFIGURED')).toBe(true);
    expect(hasCode(error, 'USAGE')).toBe(false);
  });
});

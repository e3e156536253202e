import { describe, expect, it } from 'vitest';
import { colorEnabled, type CliIO } from '../../src/cli/io.js';
import { renderError } from '../../src/cli/render-error.js';
import { MigrationChecksumMismatchError } from '../../src/engine/errors.js';

function captureIO(options: Partial<CliIO> = {}): CliIO & { lines: string[] } {
  const lines: string[] = [];
  return { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, cwd: '/', color: false, verbose: false, lines, ...options };
}

describe('error rendering and colours', () => {
  it('prints error[CODE]: message and a hint, no stack unless --verbose, and returns the exit code', () => {
    const error = new MigrationChecksumMismatchError(3, '0003_x.sql', 'a'.repeat(64), 'b'.repeat(64));
    const io = captureIO();
    expect(renderError(error, io)).toBe(3);
    expect(io.lines).toHaveLength(2);
    expect(io.lines[0]).toMatch(/^error\[MIGRATION_CHECKSUM_MISMATCH\]: applied migration 0003_x.sql was changed/);
    expect(io.lines[1]).toMatch(/^hint: /);
    const verbose = captureIO({ verbose: true });
    renderError(error, verbose);
    expect(verbose.lines.join('\n')).toMatch(/\n\s+at /);
  });

  it('an unexpected error is exit 3 with one line, not a stack', () => {
    const io = captureIO();
    expect(renderError(new Error('boom\nsecond line'), io)).toBe(3);
    expect(io.lines[0]).toBe('error[INTERNAL]: boom');
  });

  it('colours only on a TTY and never with NO_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    const io = captureIO({ color: true });
    renderError(new MigrationChecksumMismatchError(1, 'f', 'a'.repeat(64), 'b'.repeat(64)), io);
    expect(io.lines[0]).toContain('\u001b[31m');
  });
});

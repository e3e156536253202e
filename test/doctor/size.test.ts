import { describe, expect, it } from 'vitest';
import { formatBytes, parseSize } from '../../src/doctor/size.js';

describe('parseSize', () => {
  it.each([
    ['10MB', 10 * 1024 * 1024],
    ['512kB', 512 * 1024],
    ['1GB', 1024 ** 3],
    ['1TB', 1024 ** 4],
    ['16MiB', 16 * 1024 * 1024],
    ['10mb', 10 * 1024 * 1024],
    ['1.5MB', 1.5 * 1024 * 1024],
    [' 64 kB ', 64 * 1024],
    ['4096', 4096],
    ['0', 0],
    ['100B', 100],
  ])('%s is %d bytes', (raw, bytes) => {
    expect(parseSize(raw)).toEqual({ bytes });
  });

  it.each(['', 'MB', '10 XB', '-1MB', '10MB5', 'ten', '1e6'])('refuses %j and names the flag', (raw) => {
    const r = parseSize(raw, '--max-lag-bytes');
    expect(r).toHaveProperty('problem');
    expect((r as { problem: string }).problem).toContain('--max-lag-bytes');
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 kB'],
    [10 * 1024 * 1024, '10 MB'],
    [3 * 1024 ** 3, '3 GB'],
  ])('%d → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

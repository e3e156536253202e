import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/schema/text-diff.js';

describe('unifiedDiff', () => {
  const a = `${['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n')}\n`;
  const b = `${['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11'].join('\n')}\n`;

  it('is empty for equal texts and shows changed lines with context and hunk headers', () => {
    expect(unifiedDiff(a, a, { expected: 'a', actual: 'b' })).toBe('');
    expect(unifiedDiff(a, b, { expected: 'a', actual: 'b' }, 1)).toBe(
      ['--- a', '+++ b', '@@ -4,3 +4,3 @@', ' 4', '-5', '+five', ' 6', '@@ -10,1 +10,2 @@', ' 10', '+11', ''].join('\n'),
    );
  });

  it('merges nearby changes into one hunk and marks a missing final newline', () => {
    expect(unifiedDiff(a, b, { expected: 'a', actual: 'b' })).toMatch(/^--- a\n\+\+\+ b\n@@ -2,9 \+2,10 @@\n/);
    expect(unifiedDiff('x\n', 'x', { expected: 'a', actual: 'b' })).toBe(
      ['--- a', '+++ b', '@@ -1,1 +1,1 @@', '-x', '+x', '\\ No newline at end of file', ''].join('\n'),
    );
  });
});

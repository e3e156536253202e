import { describe, expect, it } from 'vitest';
import { flattenBooleanChains } from '../../src/schema/dump/flatten-boolean.js';

describe('flattenBooleanChains', () => {
  it('inlines a left-nested AND chain as the parser does (BETWEEN inside AND)', () => {
    expect(flattenBooleanChains("CHECK ((((length(name) >= 1) AND (length(name) <= 64)) AND (name ~ '^a$'::text)))")).toBe(
      "CHECK (((length(name) >= 1) AND (length(name) <= 64) AND (name ~ '^a$'::text)))",
    );
  });
  it('inlines a left-nested OR chain, and leaves right-nested chains and mixed operators alone', () => {
    expect(flattenBooleanChains('(((a OR b) OR c))')).toBe('((a OR b OR c))');
    expect(flattenBooleanChains('((a AND (b AND c)))')).toBe('((a AND (b AND c)))');
    expect(flattenBooleanChains('(((a OR b) AND c))')).toBe('(((a OR b) AND c))');
  });
  it('ignores parentheses and operators inside literals and quoted names', () => {
    const text = 'CHECK (((x = \'a) AND (b\') AND ("we(ird" > 0)))';
    expect(flattenBooleanChains(text)).toBe(text);
    expect(flattenBooleanChains("(((x = 'p AND q') ) AND y)")).toBe("(((x = 'p AND q') ) AND y)");
  });
});

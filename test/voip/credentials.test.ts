import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { computeDigestHashes } from '../../src/voip/credentials.js';

describe('computeDigestHashes', () => {
  test('gives ha1 = md5(user:realm:password) and ha1b = md5(user@domain:realm:password)', () => {
    // Expected values computed independently: printf '1001:demo.voipdb.test:demo-1001-secret' | md5sum
    expect(computeDigestHashes({ username: '1001', domain: 'demo.voipdb.test', password: 'demo-1001-secret' })).toEqual({
      ha1: '39941670f14aafe06dd1f0fb7895a33b',
      ha1b: 'cf4c49bdf912493bf25c293d2b65e86f',
    });
  });

  test('refuses inputs that would make an ambiguous or guessable hash', () => {
    expect(() => computeDigestHashes({ username: '10:01', domain: 'a.test', password: 'x' })).toThrow(UsageError);
    expect(() => computeDigestHashes({ username: '1001', domain: 'A.test', password: 'x' })).toThrow(/invalid SIP domain/);
    expect(() => computeDigestHashes({ username: '1001', domain: 'a.test', password: '' })).toThrow(/empty password/);
  });
});

import { expectTypeOf, test } from 'vitest';
import type { CdrRow as ClientCdrRow } from '../../src/client/cdr-row.js';
import type { CdrRow as VoipCdrRow } from '../../src/voip/cdr.js';

// Checked by the type checker (npm run typecheck): the client's CDR input must stay the same
// type as the one the voip module stores, so a row built for one works with the other.
test('the client CdrRow equals src/voip/cdr.ts CdrRow', () => {
  expectTypeOf<ClientCdrRow>().toEqualTypeOf<VoipCdrRow>();
});

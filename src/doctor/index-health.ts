import { type InvalidIndex, MANAGED_SCHEMAS } from '../database/invalid-indexes.js';
import type { Check } from './severity.js';

export { MANAGED_SCHEMAS };

/**
 * An INVALID index (a CREATE INDEX CONCURRENTLY that failed or was killed) is a WARNING: queries
 * do not use it, so the lookups it was built for scan instead, while writes may still maintain it.
 */
export function evaluateInvalidIndexes(invalid: InvalidIndex[]): Check {
  if (invalid.length === 0) {
    return { id: 'indexes.invalid', severity: 'ok', summary: `no invalid index in ${MANAGED_SCHEMAS.join(', ')}`, data: { invalid: [] } };
  }
  const names = invalid.map((i) => `${i.qualified} (on ${i.table})`);
  return {
    id: 'indexes.invalid',
    severity: 'warning',
    summary: `invalid index${invalid.length === 1 ? '' : 'es'} ${names.join(', ')}: queries do not use ${invalid.length === 1 ? 'it' : 'them'}; if a migration builds ${invalid.length === 1 ? 'it' : 'them'}, \`db migrate\` rebuilds ${invalid.length === 1 ? 'it' : 'them'}, else REINDEX INDEX CONCURRENTLY on the primary`,
    data: { invalid: invalid.map((i) => i.qualified) },
  };
}

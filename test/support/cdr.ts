import { randomUUID } from 'node:crypto';
import type { CdrRow } from '../../src/client/index.js';

/**
 * A one-minute inbound call from 1001 to 1002 starting at `start`, with a fresh uuid: the CDR the
 * tests write when only its time (and sometimes its uuid) matters. `over` sets any other field.
 */
export function cdrRow(start: Date, over: Partial<CdrRow> = {}): CdrRow {
  return {
    uuid: randomUUID(),
    startStamp: start,
    endStamp: new Date(start.getTime() + 60_000),
    duration: 60,
    billsec: 55,
    leg: 'a',
    direction: 'inbound',
    callerIdNumber: '1001',
    destinationNumber: '1002',
    ...over,
  };
}

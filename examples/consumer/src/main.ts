// Runs the example once against DATABASE_URL (or the PG* variables).
import type { CdrRow } from 'voipdb';
import { describeNode, directoryXml, openDatabase, storeCdr } from './service.js';

const cdr: CdrRow = {
  uuid: '8f14e45f-ceea-4a1b-9e5c-1d2e3f405162',
  startStamp: new Date('2025-06-02T10:00:00Z'),
  endStamp: new Date('2025-06-02T10:01:30Z'),
  duration: 90,
  billsec: 80,
  leg: 'a',
  direction: 'outbound',
};

const db = openDatabase(process.env);
try {
  console.log(await describeNode(db));
  console.log(await directoryXml(db, 'pbx.example.net', '1001'));
  console.log('CDR post answered', await storeCdr(db, cdr));
} finally {
  await db.destroy();
}

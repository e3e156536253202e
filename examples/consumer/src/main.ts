// Runs the example once against DATABASE_URL (or the PG* variables).
import type { CdrRow } from 'voipdb';
import { describeNode, directoryResponse, openDatabase, openDirectory, storeCdr } from './service.js';

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
const directory = openDirectory(db);
try {
  console.log(await describeNode(db));
  const first = await directoryResponse(directory, 'pbx.example.net', '1001');
  // The second request is answered from memory.
  const again = await directoryResponse(directory, 'pbx.example.net', '1001');
  console.log(first.status, first.body);
  console.log('directory cache:', JSON.stringify({ same: again.body === first.body, ...directory.stats() }));
  console.log('CDR post answered', await storeCdr(db, cdr));
} finally {
  directory.close();
  await db.destroy();
}

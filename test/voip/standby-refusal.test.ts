import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NodeIsStandbyError } from '../../src/database/errors.js';
import { maintainCdrPartitions } from '../../src/voip/partitions.js';
import { seedDemo, seedScale } from '../../src/voip/seed.js';
import { type ReplicationPair, startReplicationPair, migratedVoipdbOnPair } from '../support/standby.js';

// The library refuses writes on a hot standby by itself (the CLI checks earlier as well), and
// says so before the server's own read-only error could.
describe('voip writes on a hot standby (pg18)', () => {
  let pair: ReplicationPair;
  let standby: pg.Client;

  beforeAll(async () => {
    pair = await startReplicationPair('pg18');
    const voipdb = await migratedVoipdbOnPair(pair);
    standby = new pg.Client(voipdb.standby);
    await standby.connect();
  });
  afterAll(async () => {
    await standby?.end();
    await pair?.stop();
  });

  test('seedDemo, seedScale and partition maintenance throw NodeIsStandbyError (exit 4)', async () => {
    for (const run of [
      () => seedDemo(standby),
      () => seedScale(standby, { extensions: 10, cdrs: 10 }),
      () => maintainCdrPartitions(standby, { ahead: 1 }),
    ]) {
      const error = await run().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeIsStandbyError);
      expect((error as NodeIsStandbyError).exitCode).toBe(4);
    }
    // Nothing half-done: the standby's connection is still usable, not stuck in a failed transaction.
    expect((await standby.query('SELECT count(*)::int AS n FROM voip.domains')).rows[0].n).toBe(0);
  });
});

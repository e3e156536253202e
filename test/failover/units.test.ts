import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { expectedPrimarySlots, expectedStandbySlot } from '../../src/doctor/layout.js';
import type { SlotRow } from '../../src/doctor/primary-health.js';
import { evaluateRewind } from '../../src/doctor/rewind-health.js';
import { formatConninfo, parseConninfo, redactConninfo } from '../../src/failover/conninfo.js';
import { postgresAnswers } from '../../src/failover/liveness.js';
import { rejoinSlotFor } from '../../src/failover/promote.js';
import { primaryConninfo } from '../../src/failover/standby-config.js';
import { server } from '../support/database.js';

describe('libpq keyword/value strings', () => {
  it('quotes what needs it and parses back what it wrote', () => {
    const text = formatConninfo({ host: '10.0.0.1', port: 5432, user: 'replicator', passfile: "/etc/o'dd dir/pgpass", sslmode: undefined });
    expect(text).toBe("host=10.0.0.1 port=5432 user=replicator passfile='/etc/o\\'dd dir/pgpass'");
    expect(parseConninfo(text)).toEqual({ host: '10.0.0.1', port: '5432', user: 'replicator', passfile: "/etc/o'dd dir/pgpass" });
  });
  it('reads spaces around =, multi-host lists, and refuses malformed text', () => {
    expect(parseConninfo("host = a,b  port=5432,5433 application_name = 'node 2'")).toEqual({
      host: 'a,b',
      port: '5432,5433',
      application_name: 'node 2',
    });
    expect(parseConninfo("host='unterminated")).toBeUndefined();
    expect(parseConninfo('=x')).toBeUndefined();
  });
  it('never renders a password it finds', () => {
    expect(redactConninfo("host=h user=replicator password='s3cr et'")).toBe('host=h user=replicator');
  });
  it("the standby's primary_conninfo names the passfile, never a password", () => {
    const s = primaryConninfo({
      primaryHost: '172.16.91.101',
      primaryPort: 5432,
      replicationUser: 'replicator',
      passfile: '/etc/voipdb/secrets/replicator.pgpass',
      applicationName: 'node2',
      slotName: 'node2_slot',
    });
    expect(s).toBe('host=172.16.91.101 port=5432 user=replicator passfile=/etc/voipdb/secrets/replicator.pgpass application_name=node2');
  });
});

describe('the layout doctor learns', () => {
  const slot = (name: string, type = 'physical'): SlotRow => ({
    slot_name: name,
    slot_type: type,
    active: true,
    wal_status: 'reserved',
    retained_bytes: '0',
    extra: {},
  });
  it('a primary expects the node slots it has, node2_slot when it has none', () => {
    expect(expectedPrimarySlots([slot('node2_slot')])).toEqual(['node2_slot']);
    expect(expectedPrimarySlots([slot('node1_slot')])).toEqual(['node1_slot']);
    expect(expectedPrimarySlots([])).toEqual(['node2_slot']);
    expect(expectedPrimarySlots([slot('cdc', 'logical')])).toEqual(['node2_slot']);
  });
  it('a standby expects its own node slot, else node2_slot', () => {
    expect(expectedStandbySlot('node1_slot')).toBe('node1_slot');
    expect(expectedStandbySlot('')).toBe('node2_slot');
    expect(expectedStandbySlot('Weird')).toBe('node2_slot');
  });
  it('pg_rewind needs data checksums or wal_log_hints', () => {
    expect(evaluateRewind({ dataChecksums: 'on', walLogHints: 'off' })[0]!.severity).toBe('ok');
    expect(evaluateRewind({ dataChecksums: 'off', walLogHints: 'on' })[0]!.severity).toBe('ok');
    const off = evaluateRewind({ dataChecksums: 'off', walLogHints: 'off' })[0]!;
    expect(off).toMatchObject({ id: 'setting.wal_log_hints', severity: 'warning' });
    expect(off.summary).toContain('set wal_log_hints = on');
  });
});

describe('the slot made for the rejoining node', () => {
  it('is the other node of the platform, or the one other topology node', () => {
    expect(rejoinSlotFor('node2_slot', 'x')).toBe('node1_slot');
    expect(rejoinSlotFor('node1_slot', 'x')).toBe('node2_slot');
    expect(rejoinSlotFor('sbc_b_slot', 'x', ['sbc_a_slot', 'sbc_b_slot'])).toBe('sbc_a_slot');
    let error: unknown;
    try {
      rejoinSlotFor('', 'postgres://h:5432/db');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'USAGE', hint: expect.stringContaining('--rejoin-slot') });
  });
});

describe('does a PostgreSQL server answer?', () => {
  it('yes for a real server, no for a closed port or a port that speaks something else', async () => {
    const pg = server('pg18');
    expect(await postgresAnswers(pg.host, pg.port)).toBe(true);
    const silent = net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      expect(await postgresAnswers('127.0.0.1', port)).toBe(false);
    } finally {
      silent.close();
    }
    expect(await postgresAnswers('127.0.0.1', port, 500)).toBe(false);
  });
});

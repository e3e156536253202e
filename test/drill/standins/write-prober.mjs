import { appendFileSync } from 'node:fs';
import pg from 'pg';

/**
 * Every 100 ms, tries one write on each node's database at the same instant and appends
 * `<ms since epoch> <node1 ok 0|1> <node2 ok 0|1>` to DRILL_PROBE_LOG. Reaches the servers through
 * their Unix sockets (DRILL_PROBE_SOCKETS: node1's,node2's), which need no network: an isolated
 * node that still takes writes from its own services is seen. The password is in PGPASSWORD.
 */
const sockets = (process.env.DRILL_PROBE_SOCKETS ?? '').split(',');
const log = process.env.DRILL_PROBE_LOG;
if (sockets.length !== 2 || !log) throw new Error('DRILL_PROBE_SOCKETS (two folders) and DRILL_PROBE_LOG must be set');

const clients = [undefined, undefined];

async function tryWrite(i, at) {
  try {
    let client = clients[i];
    if (!client) {
      client = new pg.Client({
        host: sockets[i],
        port: 5432,
        user: 'postgres',
        database: 'postgres',
        application_name: 'drill-prober',
        connectionTimeoutMillis: 500,
        statement_timeout: 500,
      });
      client.on('error', () => undefined);
      clients[i] = client;
      try {
        await client.connect();
      } catch (error) {
        clients[i] = undefined;
        throw error;
      }
    }
    await client.query('INSERT INTO drill_probe (node, at) VALUES ($1, to_timestamp($2 / 1000.0))', [i + 1, at]);
    return true;
  } catch {
    const stale = clients[i];
    clients[i] = undefined;
    void stale?.end().catch(() => undefined);
    return false;
  }
}

let busy = false;
setInterval(() => {
  if (busy) return;
  busy = true;
  const at = Date.now();
  void Promise.all([tryWrite(0, at), tryWrite(1, at)]).then(([a, b]) => {
    appendFileSync(log, `${at} ${a ? 1 : 0} ${b ? 1 : 0}\n`);
    busy = false;
  });
}, 100);

import http from 'node:http';
// The client as a service imports it: the built package (the drill checks dist/ is current).
import { createDb, ingestCdrs } from '../../../dist/index.js';

/**
 * The drill's VoIP Admin stand-in: one HTTP endpoint, POST /cdr with a CDR as JSON, written
 * through the client's idempotent ingest to this node's own database; 200 only after the
 * commit, 503 with the error otherwise (FreeSWITCH then posts it again). Runs inside a node's
 * namespace; the database URL (with the voipadmin role's password) comes in DRILL_DB_URL.
 */
const url = process.env.DRILL_DB_URL;
const port = Number(process.env.DRILL_HTTP_PORT ?? 8080);
if (!url) throw new Error('DRILL_DB_URL is not set');
// Short timeouts: a dead local database must turn into 503s, not hung posts.
const db = createDb(url, { maxConnections: 4, connectionTimeoutMs: 1000, statementTimeoutMs: 2000 });

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/cdr') {
    res.writeHead(404).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    void (async () => {
      try {
        const cdr = JSON.parse(body);
        const start = new Date(cdr.startStamp);
        const end = new Date(cdr.endStamp);
        const result = await ingestCdrs(db, [
          { uuid: cdr.uuid, startStamp: start, endStamp: end, duration: 1, billsec: 1, leg: 'a', direction: 'inbound' },
        ]);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (error) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(String(error.message));
      }
    })();
  });
});
server.listen(port, '0.0.0.0', () => {
  process.stdout.write(`listening on ${port}\n`);
});

import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import http from 'node:http';

/**
 * FreeSWITCH's side of the CDR path, in the phones namespace: posts CDRs to VoIP Admin on the
 * VIP one after the other without pause, each on a new connection (as mod_xml_cdr's curl does),
 * and posts a CDR again until it is answered 200. Every acknowledged uuid is appended to
 * DRILL_ACK_LOG at once (`<uuid> <ms since epoch>`), so a kill of this process loses nothing.
 */
const target = process.env.DRILL_CDR_URL;
const log = process.env.DRILL_ACK_LOG;
if (!target || !log) throw new Error('DRILL_CDR_URL and DRILL_ACK_LOG must be set');

function post(body) {
  return new Promise((resolve) => {
    const req = http.request(target, { method: 'POST', agent: false, timeout: 1000, headers: { 'content-type': 'application/json' } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

for (;;) {
  const start = new Date();
  const cdr = { uuid: randomUUID(), startStamp: start.toISOString(), endStamp: new Date(start.getTime() + 1000).toISOString() };
  const body = JSON.stringify(cdr);
  for (;;) {
    if ((await post(body)) === 200) {
      appendFileSync(log, `${cdr.uuid} ${Date.now()}\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

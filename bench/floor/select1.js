// Floor of `db migrate` with nothing pending: a Node process that loads pg, connects (PG*
// variables), runs SELECT 1 and exits. Plain JS, so nothing is compiled on the way.
import pg from 'pg';

const client = new pg.Client();
await client.connect();
await client.query('SELECT 1');
await client.end();

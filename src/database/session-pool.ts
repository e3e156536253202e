import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { ConnectionConfig } from '../config/connection.js';
import { connectionError } from './connect.js';
import { selectSession } from './host-selection.js';
import { type Attempt, pgOptionsFor } from './session-options.js';

/** Pool settings beyond the connection (pg.Pool's names). */
export interface SessionPoolOptions {
  max?: number;
  idleTimeoutMillis?: number;
  /** How long a caller waits for a pooled connection (and a new one to open). */
  connectionTimeoutMillis?: number;
  statement_timeout?: number;
}

/**
 * A pg pool that chooses its server as libpq would, for services (createDb) and the CLI's
 * tooling that needs a pool. It keeps one pg.Pool per way of reaching a host (host, port, TLS
 * or not). An idle session that was checked when it was opened is reused as it is; a new
 * session goes through libpq's host selection (hosts in order, sslmode's encryption attempts,
 * target_session_attrs), so after a failover new sessions find the new primary without a
 * change of URL. Events: 'connect' and 'error' of every inner pool, re-emitted.
 * `max` applies to each host's pool.
 */
export class SessionPool extends EventEmitter {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly checked = new WeakSet<pg.PoolClient>();
  private ended = false;

  constructor(
    private readonly config: ConnectionConfig,
    private readonly options: SessionPoolOptions = {},
  ) {
    super();
  }

  async connect(): Promise<pg.PoolClient> {
    // An idle session that already fitted: no new session, nothing to choose.
    for (const pool of this.pools.values()) {
      if (pool.idleCount > 0) return pool.connect();
    }
    const { client } = await selectSession(this.config, {
      open: (attempt) => this.poolFor(attempt).connect(),
      discard: async (client) => client.release(true),
      alreadyChecked: (client) => this.checked.has(client),
      toError: (error, entry) => connectionError(error, this.config, entry),
    });
    this.checked.add(client);
    return client;
  }

  async end(): Promise<void> {
    this.ended = true;
    await Promise.all([...this.pools.values()].map((p) => p.end()));
  }

  private poolFor(attempt: Attempt): pg.Pool {
    const key = `${attempt.entry.host}\0${attempt.entry.hostaddr ?? ''}\0${attempt.entry.port}\0${attempt.tls}`;
    let pool = this.pools.get(key);
    if (!pool) {
      if (this.ended) throw new Error('the pool has been ended');
      pool = new pg.Pool({ ...pgOptionsFor(this.config, attempt), ...this.options });
      pool.on('connect', (client) => this.emit('connect', client));
      // pg's pool re-emits an idle client's error on itself; an 'error' event without a
      // listener would throw and end the service.
      pool.on('error', (error, client) => {
        if (this.listenerCount('error') > 0) this.emit('error', error, client);
      });
      this.pools.set(key, pool);
    }
    return pool;
  }
}

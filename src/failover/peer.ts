import pg from 'pg';
import type { ConnectionConfig } from '../config/connection.js';
import { attemptsForHost, pgOptionsFor } from '../database/session-options.js';
import { caFileOf, type Topology, type TopologyNode } from '../topology/types.js';

/**
 * Asking the other node what it is, before this node may act as a primary (the boot guard, the
 * unfence): a physical replication connection as the replication role, with the replicator's
 * passfile (pg_hba already lets each node replicate from the other), then IDENTIFY_SYSTEM (system
 * identifier, timeline, WAL position) and SHOW in_hot_standby (PostgreSQL 14+). A replication
 * connection needs no database and no other grant, and works on a primary and a standby alike.
 */
export type PeerAnswer =
  | { reachable: true; role: 'primary' | 'standby'; timeline: number; systemId: string; walPosition: string }
  | { reachable: false; reason: string };

export function peerReplicationConfig(t: Topology, self: TopologyNode, peer: TopologyNode, timeoutMs: number): ConnectionConfig {
  const tls = t.database.tls;
  const caFile = caFileOf(t, self);
  return {
    host: peer.address,
    port: t.database.port,
    user: t.roles.replicator,
    // pgpass lines of a replication login name the database `replication`, as libpq matches them.
    database: 'replication',
    passfile: t.secrets.replicatorPassfile,
    applicationName: `voipdb-failover-${self.name}`,
    connectTimeoutMs: timeoutMs,
    ...(tls ? { sslmode: tls.sslmode, ...(caFile ? { tls: { rootCert: caFile } } : {}) } : { sslmode: 'prefer' as const }),
  };
}

export async function askPeer(config: ConnectionConfig): Promise<PeerAnswer> {
  let lastReason = 'no attempt';
  for (const attempt of attemptsForHost({ host: config.host, port: config.port }, config.sslmode)) {
    let client: pg.Client | undefined;
    try {
      client = new pg.Client({ ...pgOptionsFor(config, attempt), replication: 'true' } as pg.ClientConfig);
      client.on('error', () => undefined);
      await client.connect();
      const id = await client.query<{ systemid: string; timeline: string; xlogpos: string }>('IDENTIFY_SYSTEM');
      const standby = await client.query<{ in_hot_standby: string }>('SHOW in_hot_standby');
      const row = id.rows[0]!;
      return {
        reachable: true,
        role: standby.rows[0]?.in_hot_standby === 'on' ? 'standby' : 'primary',
        timeline: Number(row.timeline),
        systemId: String(row.systemid),
        walPosition: String(row.xlogpos),
      };
    } catch (error) {
      lastReason = (error as Error).message ?? String(error);
    } finally {
      await client?.end().catch(() => undefined);
    }
  }
  return { reachable: false, reason: `${config.host}:${config.port} did not answer as the replication role (${lastReason})` };
}

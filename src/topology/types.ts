/**
 * The platform as one file describes it: two nodes, each running Kamailio, FreeSWITCH, VoIP
 * Admin and its own PostgreSQL; node 1 primary, node 2 a hot standby; a VIP in front of SIP and
 * the HTTP API. Secrets are never part of it: only the paths of files that hold them.
 */
import type { NodeRole } from '../database/node-info.js';
import type { FailoverBlock } from './failover.js';

// The one role type: what a topology file declares is what pg_is_in_recovery() answers on that node.
export type { NodeRole };

export interface TopologyNode {
  /** Lower case letters, digits and _ (it becomes the slot name `<name>_slot`). */
  name: string;
  address: string;
  role: NodeRole;
  /** This node's copy of the CA that signed the nodes' server certificates (overrides database.tls.caFile). */
  caFile?: string;
}

/** TLS between the nodes: replication (primary_conninfo) and the CLI's cross-node connections. */
export interface DatabaseTls {
  /** libpq sslmode of those connections: require, verify-ca or verify-full (default). */
  sslmode: 'require' | 'verify-ca' | 'verify-full';
  /** The CA file on each node, unless the node names its own (nodes[].caFile). */
  caFile: string;
  /** This node's server certificate and key (postgresql.conf ssl_cert_file / ssl_key_file). */
  certFile: string;
  keyFile: string;
}

export interface Topology {
  vip: {
    address: string;
    /** VoIP Admin's HTTP API on the VIP (FreeSWITCH's directory and CDR URLs point here). */
    httpPort: number;
    httpScheme: 'http' | 'https';
  };
  database: {
    name: string;
    port: number;
    /** Where each node's services reach their OWN PostgreSQL. */
    localHost: string;
    /** Absent: connections between the nodes are not encrypted. */
    tls?: DatabaseTls;
  };
  roles: {
    kamailio: string;
    voipadmin: string;
    replicator: string;
  };
  /** Files that hold secrets on each node (rendered as references, never read). */
  secrets: {
    /** Kamailio's cfg cannot read a file: its DBURL carries a placeholder filled from this one at install time. */
    kamailioPasswordFile: string;
    voipadminPasswordFile: string;
    /** A libpq passfile (0600, owned by postgres) with the replicator's password. */
    replicatorPassfile: string;
  };
  freeswitch: {
    directoryPath: string;
    cdrPath: string;
  };
  nodes: TopologyNode[];
  /** Keepalived, the watch and the boot guard; absent: manual mode with every default (resolveFailover). */
  failover?: FailoverBlock;
}

export const SERVICES = ['kamailio', 'voip-admin', 'freeswitch', 'postgres', 'keepalived', 'systemd'] as const;
export type Service = (typeof SERVICES)[number];

/** The CA file a node uses to verify the other nodes' certificates. */
export function caFileOf(topology: Topology, node: TopologyNode): string | undefined {
  return topology.database.tls ? (node.caFile ?? topology.database.tls.caFile) : undefined;
}

/** The slot a standby streams through: node2 → node2_slot (the platform's name). */
export function slotNameFor(node: TopologyNode): string {
  return `${node.name}_slot`;
}

/**
 * The platform as one file describes it: two nodes, each running Kamailio, FreeSWITCH, VoIP
 * Admin and its own PostgreSQL; node 1 primary, node 2 a hot standby; a VIP in front of SIP and
 * the HTTP API. Secrets are never part of it: only the paths of files that hold them.
 */
import type { NodeRole } from '../database/node-info.js';

// The one role type: what a topology file declares is what pg_is_in_recovery() answers on that node.
export type { NodeRole };

export interface TopologyNode {
  /** Lower case letters, digits and _ (it becomes the slot name `<name>_slot`). */
  name: string;
  address: string;
  role: NodeRole;
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
}

export const SERVICES = ['kamailio', 'voip-admin', 'freeswitch', 'postgres'] as const;
export type Service = (typeof SERVICES)[number];

/** The slot a standby streams through: node2 → node2_slot (the platform's name). */
export function slotNameFor(node: TopologyNode): string {
  return `${node.name}_slot`;
}

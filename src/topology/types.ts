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
  /**
   * WAL archiving and backups with pgBackRest. Absent: no WAL archive (archive_mode = off), so
   * no point-in-time recovery; `backup: { archive: false }` says the same explicitly.
   */
  backup?: BackupTopology;
}

/** pgBackRest's settings for the pair: one stanza, both nodes as pg1/pg2, one repository. */
export interface BackupTopology {
  /** false: archive_mode = off is rendered and nothing else of this block is used. */
  archive: boolean;
  /** pgBackRest's stanza (the name of this cluster in the repository). */
  stanza: string;
  /** Where pgBackRest's configuration lives on each node (archive_command names it when it is not the default). */
  configFile: string;
  repository: {
    /**
     * The repository path, the same on both nodes: storage both reach (NFS or another mount
     * that is not on the nodes' own disks), so either node can archive and back up after a failover.
     */
    path: string;
    /** Full backups kept (pgBackRest repo1-retention-full); the WAL to restore them is kept with them. */
    retentionFull: number;
  };
  /** Each node's data directory (pgBackRest pg-path): one path for all nodes, or one per node name. */
  dataDirectory: string | Record<string, string>;
  /** PostgreSQL's socket directory on each node, when it is not pgBackRest's default (/var/run/postgresql). */
  socketDirectory?: string;
  /**
   * archive_timeout in seconds: a WAL segment is switched and archived at least this often while
   * anything is written, so it bounds what a lost disk costs (the RPO) to about this plus one push.
   */
  archiveTimeoutSeconds: number;
  /** systemd OnCalendar= of the backup timers (both nodes; only the primary backs up). */
  schedule: { full: string; differential: string };
}

export const SERVICES = ['kamailio', 'voip-admin', 'freeswitch', 'postgres', 'pgbackrest', 'keepalived', 'systemd'] as const;
export type Service = (typeof SERVICES)[number];

/** The CA file a node uses to verify the other nodes' certificates. */
export function caFileOf(topology: Topology, node: TopologyNode): string | undefined {
  return topology.database.tls ? (node.caFile ?? topology.database.tls.caFile) : undefined;
}

/** The slot a standby streams through: node2 → node2_slot (the platform's name). */
export function slotNameFor(node: TopologyNode): string {
  return `${node.name}_slot`;
}

/** The backup settings when WAL is archived; undefined when the topology says no archive. */
export function archivingOf(topology: Topology): BackupTopology | undefined {
  return topology.backup?.archive ? topology.backup : undefined;
}

/** A node's data directory as pgBackRest's pg-path names it. */
export function dataDirectoryOf(backup: BackupTopology, node: TopologyNode): string {
  return typeof backup.dataDirectory === 'string' ? backup.dataDirectory : backup.dataDirectory[node.name]!;
}

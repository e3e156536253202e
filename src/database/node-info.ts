/**
 * The node-role facts without any driver type, so that the client's declarations (which services
 * compile against) need no @types/pg. database/node-role.ts reads them over a pg session.
 */

/** What a node's database is: the primary, or a read-only hot standby (pg_is_in_recovery()). */
export type NodeRole = 'primary' | 'standby';

/** The server facts every command reports. */
export interface NodeInfo {
  role: NodeRole;
  /** e.g. "18.4" (without the distribution's suffix). */
  serverVersion: string;
  serverVersionNum: number;
  database: string;
}

/**
 * The one query for a node's role and version. The client runs the same text through Kysely,
 * so there is one definition of "standby" whichever way a caller is connected.
 */
export const NODE_INFO_SQL =
  "SELECT pg_is_in_recovery() AS in_recovery, current_setting('server_version') AS server_version, current_setting('server_version_num') AS server_version_num, current_database() AS database";

export interface NodeInfoRow {
  in_recovery: boolean;
  server_version: string;
  server_version_num: string;
  database: string;
}

export function nodeInfoOf(row: NodeInfoRow): NodeInfo {
  return {
    role: row.in_recovery ? 'standby' : 'primary',
    serverVersion: row.server_version.split(' ')[0]!,
    serverVersionNum: Number(row.server_version_num),
    database: row.database,
  };
}

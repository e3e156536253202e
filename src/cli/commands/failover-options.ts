import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command, OptionValues } from '@commander-js/extra-typings';
import { assertNoProblems, type ConnectionConfig, resolveConnection } from '../../config/connection.js';
import { UsageError } from '../../errors.js';
import type { Topology } from '../../topology/types.js';
import type { CliIO } from '../io.js';
import { jsonOption } from '../options.js';

/** Flags and defaults shared by `db standby clone`, `db promote` and `db rejoin`. */

export const DEFAULT_PASSFILE = '/etc/voipdb/secrets/replicator.pgpass';
export const DEFAULT_REPLICATION_USER = 'replicator';

/** --node, --slot, --replication-user, --passfile: who the standby is (read by standbyIdentity). */
export function addStandbyIdentityOptions<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(
  cmd: Command<Args, Opts, Parent>,
) {
  return cmd
    .option('--node <name>', "this standby's node name: its application_name on the primary and its slot <name>_slot")
    .option('--slot <name>', 'replication slot to stream through (default <node>_slot)')
    .option('--replication-user <role>', 'role the standby streams as (default: the topology’s, else replicator)')
    .option('--passfile <file>', `libpq passfile with the replication password (default: the topology’s, else ${DEFAULT_PASSFILE})`);
}

/** --bin-dir, --topology, --json: where the server programs and the topology are, and how to report. */
export function addStandbyToolOptions<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(
  cmd: Command<Args, Opts, Parent>,
) {
  return cmd
    .option(
      '--bin-dir <dir>',
      'where pg_basebackup / pg_rewind of the server’s version are (default /usr/lib/postgresql/<major>/bin, then PATH)',
    )
    .option('--topology <file>', 'topology YAML (else VOIPDB_TOPOLOGY, else ./topology.yaml when present)')
    .addOption(jsonOption());
}

/** The topology when one is named or ./topology.yaml exists; undefined otherwise (the platform defaults apply). */
export async function optionalTopology(io: CliIO, flag: string | undefined): Promise<Topology | undefined> {
  const named = flag ?? io.env.VOIPDB_TOPOLOGY;
  const file = path.resolve(io.cwd, named ?? 'topology.yaml');
  if (named === undefined && !existsSync(file)) return undefined;
  const { loadTopology } = await import('../../topology/index.js');
  return loadTopology(file);
}

/** A required URL flag as a ConnectionConfig (libpq rules for what the URL leaves out), or its problems, worded for `flag`. */
export function urlFlag(
  io: CliIO,
  url: string,
  flag: string,
  applicationName: string,
): { config: ConnectionConfig | undefined; problems: string[] } {
  const { config, problems } = resolveConnection({ url, env: io.env, applicationName });
  return { config, problems: problems.map((p) => p.replace('--url', flag)) };
}

export interface StandbyIdentity {
  applicationName: string;
  slotName: string;
  replicationUser: string;
  passfile: string;
}

/** As standbyIdentity, but the node may stay open (`db rejoin` learns it from the new primary's free slot). */
export function partialStandbyIdentity(
  opts: { node?: string; slot?: string; replicationUser?: string; passfile?: string },
  topology: Topology | undefined,
  io: CliIO,
): Omit<StandbyIdentity, 'applicationName' | 'slotName'> & { applicationName?: string; slotName?: string } {
  if (opts.node !== undefined || opts.slot !== undefined) {
    return standbyIdentity(opts, topology, opts.node ?? opts.slot?.replace(/_slot$/, ''), io);
  }
  return {
    replicationUser: opts.replicationUser ?? topology?.roles.replicator ?? DEFAULT_REPLICATION_USER,
    passfile: path.resolve(io.cwd, opts.passfile ?? topology?.secrets.replicatorPassfile ?? DEFAULT_PASSFILE),
  };
}

/** --node/--slot/--replication-user/--passfile, else the topology, else the platform's names. */
export function standbyIdentity(
  opts: { node?: string; slot?: string; replicationUser?: string; passfile?: string },
  topology: Topology | undefined,
  fallbackNode: string | undefined,
  io: CliIO,
): StandbyIdentity {
  const node = opts.node ?? fallbackNode;
  if (node === undefined) {
    throw new UsageError('cannot tell which node this is', 'pass --node <name> (e.g. node1); its slot is <name>_slot');
  }
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(node)) {
    throw new UsageError(
      `--node must be lower case letters, digits or _, got ${JSON.stringify(node)}`,
      'use the node’s name from the topology, e.g. node2',
    );
  }
  if (topology && !topology.nodes.some((n) => n.name === node)) {
    throw new UsageError(`the topology has no node ${node}`, `use one of: ${topology.nodes.map((n) => n.name).join(', ')}`);
  }
  const slotName = opts.slot ?? `${node}_slot`;
  if (!/^[a-z0-9_]{1,63}$/.test(slotName)) {
    throw new UsageError(`--slot must be lower case letters, digits or _, got ${JSON.stringify(slotName)}`, 'e.g. node2_slot');
  }
  return {
    applicationName: node,
    slotName,
    replicationUser: opts.replicationUser ?? topology?.roles.replicator ?? DEFAULT_REPLICATION_USER,
    passfile: path.resolve(io.cwd, opts.passfile ?? topology?.secrets.replicatorPassfile ?? DEFAULT_PASSFILE),
  };
}

export { assertNoProblems };

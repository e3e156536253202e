import { ExitCode, failure } from '../errors.js';
import type { PromoteFindings } from './promote-findings.js';

/**
 * The failures of `db standby clone`, `db promote` and `db rejoin` a user can act on. Each names
 * the hosts it talks about without their password (describeConnection) and says what state the
 * data directory was left in whenever it touched one.
 */

/**
 * The node has the wrong role for the command: a standby where a primary is needed, or the
 * reverse. The class's code is the family, WRONG_NODE_ROLE; each instance prints which way
 * (NODE_NOT_PRIMARY, NODE_NOT_STANDBY).
 */
export class WrongNodeRoleError extends failure('WRONG_NODE_ROLE', ExitCode.standby) {
  constructor(
    override readonly code: 'NODE_NOT_PRIMARY' | 'NODE_NOT_STANDBY',
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

/** `db promote`: the old primary still accepts connections; promoting now makes two primaries. */
export class OldPrimaryAnswersError extends failure('OLD_PRIMARY_ANSWERS', ExitCode.refused) {
  constructor(
    where: string,
    /** What the checks found (the CLI prints them beside the refusal). */
    readonly findings?: PromoteFindings,
  ) {
    super(
      `refusing to promote: the old primary ${where} still answers; two primaries would accept writes (split brain); nothing was changed`,
      'stop PostgreSQL on the old primary (or fence the node: power it off, cut its network) and run again; --force promotes anyway',
    );
  }
}

/** `db promote`: the standby has not replayed what it received, beyond the limits. */
export class PromoteLagTooHighError extends failure('PROMOTE_LAG_TOO_HIGH', ExitCode.refused) {
  constructor(
    found: string,
    limits: string,
    /** What the checks found (the CLI prints them beside the refusal). */
    readonly findings?: PromoteFindings,
  ) {
    super(
      `refusing to promote: ${found}, beyond the limits (${limits}); nothing was changed`,
      'wait for replay to catch up (`db doctor` on this node shows the lag), raise --max-lag-bytes / --max-lag-seconds, or --force',
    );
  }
}

/** pg_promote() did not finish within its wait. */
export class PromoteFailedError extends failure('PROMOTE_FAILED', ExitCode.database) {}

/** The replicator's passfile is missing, too open, or has no line for the primary. */
export class PassfileInvalidError extends failure('PASSFILE_INVALID', ExitCode.usage) {}

/** The primary lacks something a standby needs (the replication role, a free slot, no tablespaces). */
export class PrimaryNotReadyError extends failure('PRIMARY_NOT_READY', ExitCode.database) {}

/** The copy of the primary failed; the message says what is left in the data directory. */
export class CloneFailedError extends failure('CLONE_FAILED', ExitCode.database) {}

/** pg_rewind failed after it started changing the data directory. */
export class RewindFailedError extends failure('REWIND_FAILED', ExitCode.database) {}

/**
 * `db rejoin`: what the old primary wrote after the fork point cannot be told (its timeline is not
 * in the new primary's history, or its WAL from the fork point on is not all there). Nothing was
 * changed; --no-salvage rejoins anyway, keeping the old directory aside unread.
 */
export class SalvageUndeterminedError extends failure('SALVAGE_UNDETERMINED', ExitCode.refused) {}

/** `db rejoin`: reading the old primary's rows or copying its CDRs to the new primary failed; nothing was changed. */
export class SalvageFailedError extends failure('SALVAGE_FAILED', ExitCode.database) {}

/** The topology cannot drive an automatic failover (an unknown node, not exactly two nodes). */
export class FailoverTopologyError extends failure('FAILOVER_TOPOLOGY', ExitCode.usage) {}

/** A `db failover` verb needs a per-node setting the topology lacks (failover.nodes.<name>.dataDir, binDir). */
export class FailoverSettingMissingError extends failure('FAILOVER_SETTING_MISSING', ExitCode.usage) {
  constructor(node: string, key: string, verb: string) {
    super(
      `\`db failover ${verb}\` needs failover.nodes.${node}.${key} in the topology; nothing was changed`,
      `add it: failover: { nodes: { ${node}: { ${key}: /var/lib/postgresql/18/main } } }`,
    );
  }
}

/**
 * The boot guard refused to start PostgreSQL: the other node is a primary (on a newer timeline, or
 * on the same one), so starting this node as a primary would make two. Nothing was changed.
 */
export class GuardRefusedError extends failure('GUARD_REFUSED', ExitCode.refused) {
  constructor(message: string) {
    super(
      message,
      'keep this node stopped and run `db rejoin` here (it rewinds or re-clones it as a standby of the other node); then start it',
    );
  }
}

/** `db failover switchover`: a check before anything was changed failed (the message says which). */
export class SwitchoverRefusedError extends failure('SWITCHOVER_REFUSED', ExitCode.refused) {}

/**
 * `db failover switchover` stopped midway and put things back as far as it safely could: the old
 * primary is the primary again (or, when it did not come back, a standby that starts as one), and
 * the peer was not promoted.
 */
export class SwitchoverUndoneError extends failure('SWITCHOVER_UNDONE', ExitCode.refused) {
  constructor(message: string) {
    super(
      message,
      '`db failover status` and `db doctor --topology` on both nodes show where things stand; fix what the message names, then run again',
    );
  }
}

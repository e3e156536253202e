/** Lag limits of `db doctor`; beyond either one a standby is CRITICAL. */
export interface LagThresholds {
  maxLagBytes: number;
  maxLagSeconds: number;
}

/** The platform's alert levels: 10 MB of WAL or 5 seconds behind. */
export const DEFAULT_THRESHOLDS: LagThresholds = { maxLagBytes: 10 * 1024 * 1024, maxLagSeconds: 5 };

/** The platform's slot and standby name (node 2 streams from node 1 through node2_slot). */
export const PLATFORM_SLOT = 'node2_slot';

/**
 * What `db promote` found before promoting: the promotion's result reports it, and the two
 * refusals (lag, an old primary that answers) carry it, so that the operator sees the checks
 * whichever way the command ended. A leaf module: the errors and the promotion both use it.
 */
export interface PromoteFindings {
  standby: string;
  serverVersion: string;
  /** What replay still had to do when checked: received − replayed bytes, and seconds behind while WAL waited. */
  lag: {
    receiveLsn: string | null;
    replayLsn: string | null;
    lagBytes: number | null;
    lagSeconds: number | null;
    lastReplayAt: string | null;
    withinLimits: boolean;
  };
  oldPrimary: { hosts: Array<{ host: string; port: number; answers: boolean }>; source: 'flag' | 'primary_conninfo'; answers: boolean };
  rejoinSlot: string;
}

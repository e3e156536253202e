import { type OsUser, runAsServerUser } from '../local/cluster.js';
import { formatConninfo } from './conninfo.js';
import type { StandbySettings } from './standby-config.js';

/**
 * pg_basebackup of the primary's own major version, run as the server's OS user and logged in
 * as the replication role through the passfile, streaming the WAL it needs through the slot.
 * On failure pg_basebackup removes what it wrote into the (empty) target itself.
 */
export async function runBaseBackup(
  program: string,
  dataDir: string,
  settings: StandbySettings,
  osUser: OsUser | undefined,
): Promise<{ ok: boolean; output: string }> {
  const conninfo = formatConninfo({
    host: settings.primaryHost,
    port: settings.primaryPort,
    user: settings.replicationUser,
    passfile: settings.passfile,
    application_name: `${settings.applicationName}-clone`,
  });
  const args = ['-d', conninfo, '-D', dataDir, '-X', 'stream', '-S', settings.slotName, '--checkpoint=fast', '-w'];
  const result = await runAsServerUser(program, args, osUser);
  return { ok: result.code === 0, output: result.output.trim() };
}

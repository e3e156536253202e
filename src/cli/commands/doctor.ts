import { existsSync } from 'node:fs';
import { DEFAULT_MAX_BACKUP_AGE_HOURS } from '../../doctor/backup-health.js';
import { resolveLagThresholds } from '../../doctor/doctor-options.js';
import { runDoctor, type DoctorReport } from '../../doctor/doctor.js';
import { type PeerCheckOptions, peerConnection, selfNode } from '../../doctor/peer-health.js';
import { NAGIOS_CODE, type Severity } from '../../doctor/severity.js';
import { formatBytes } from '../../doctor/size.js';
import { DEFAULT_MAX_READY_WAL } from '../../doctor/wal-archive-health.js';
import { parseCount } from '../../config/durations.js';
import { assertNoProblems, type ConnectionConfig, describeConnection, resolveConnection } from '../../config/connection.js';
import { resolveEngineSettings } from '../../config/settings.js';
import { withConnection } from '../../database/connect.js';
import { ConnectionFailedError } from '../../database/errors.js';
import { paint, type CliIO } from '../io.js';
import { addConnectionOptions, type Register, jsonOption } from '../options.js';
import { optionalTopology, urlFlag } from './failover-options.js';
import { renderError } from '../render-error.js';

const COLOR: Record<Severity, 'green' | 'yellow' | 'red' | 'dim'> = { ok: 'green', warning: 'yellow', critical: 'red', unknown: 'dim' };

/**
 * `db doctor`: the health of one node, with Nagios exit codes (0 ok, 1 warning, 2 critical,
 * 3 unknown) instead of the other commands' codes, so monitoring can run it as a plugin.
 * A node that cannot be reached is CRITICAL; a bad flag is UNKNOWN (the plugin convention).
 */
export const registerDoctor: Register = (program, io, run) => {
  const cmd = program
    .command('doctor')
    .description(
      'check this node: replication (primary or standby), lag, slots, WAL archiving, backups, roles, migrations; with the topology also the other node (two primaries, fencing); Nagios exit codes 0/1/2/3',
    )
    .addOption(jsonOption())
    .option('--max-lag-bytes <size>', 'replication lag beyond this is critical (default 10MB)')
    .option('--max-lag-seconds <s>', 'replay lag beyond this many seconds is critical (default 5)')
    .option(
      '--topology <file>',
      'topology YAML: also ask the other node (two primaries, fencing); else VOIPDB_TOPOLOGY, else ./topology.yaml when present',
    )
    .option(
      '--node <name>',
      'which topology node this is (default: the node whose address --url names, else one of this machine’s addresses)',
    )
    .option('--peer-url <url>', 'ask this server as the other node instead of the topology’s address')
    .option('--max-ready-wal <n>', `more WAL files waiting to be archived than this is critical (default ${DEFAULT_MAX_READY_WAL})`)
    .option(
      '--max-backup-age <hours>',
      `the newest full or differential pgBackRest backup may be this many hours old (default ${DEFAULT_MAX_BACKUP_AGE_HOURS})`,
    );
  addConnectionOptions(cmd).action((opts) =>
    run(async () => {
      try {
        const { thresholds, problems } = resolveLagThresholds(opts);
        const { settings, problems: engineProblems } = resolveEngineSettings({ migrationsDir: opts.migrationsDir }, io.cwd);
        problems.push(...engineProblems);
        const walLimits: { maxReadyWal?: number; maxBackupAgeHours?: number } = {};
        if (opts.maxReadyWal !== undefined) {
          const r = parseCount(opts.maxReadyWal, '--max-ready-wal');
          if ('problem' in r) problems.push(r.problem);
          else walLimits.maxReadyWal = r.n;
        }
        if (opts.maxBackupAge !== undefined) {
          const r = parseCount(opts.maxBackupAge, '--max-backup-age', 1);
          if ('problem' in r) problems.push(r.problem);
          else walLimits.maxBackupAgeHours = r.n;
        }
        const resolved = resolveConnection({ url: opts.url, env: io.env, applicationName: 'voipdb-doctor' });
        const peerFlag = opts.peerUrl === undefined ? undefined : urlFlag(io, opts.peerUrl, '--peer-url', 'voipdb-doctor');
        assertNoProblems([...problems, ...resolved.problems, ...(peerFlag?.problems ?? [])]);
        const connection = resolved.config!;
        const peers = await peerOptions(io, opts, connection, peerFlag?.config);
        // Without a migrations folder (doctor run from anywhere by monitoring) the migration checks are skipped, not failed.
        const migrationsDir = opts.migrationsDir !== undefined || existsSync(settings.migrationsDir) ? settings.migrationsDir : undefined;
        const report = await withConnection(connection, (client) =>
          runDoctor(client, {
            ...thresholds,
            ...walLimits,
            ...(migrationsDir !== undefined ? { migrationsDir } : {}),
            ...(peers ? { peers } : {}),
          }),
        );
        if (opts.json) io.out(JSON.stringify(report));
        else printReport(io, describeConnection(connection), report, migrationsDir === undefined);
        return report.exitCode;
      } catch (error) {
        renderError(error, io);
        return error instanceof ConnectionFailedError ? NAGIOS_CODE.critical : NAGIOS_CODE.unknown;
      }
    }),
  );
};

/** The peer(s) to ask: --peer-url, else the topology's other nodes; none without either. */
async function peerOptions(
  io: CliIO,
  opts: { topology?: string; node?: string },
  connection: ConnectionConfig,
  peerFlag: ConnectionConfig | undefined,
): Promise<PeerCheckOptions | undefined> {
  const topology = await optionalTopology(io, opts.topology);
  const node = opts.node;
  if (!topology) {
    if (peerFlag === undefined) return undefined;
    return { self: node ?? 'this node', peers: [{ name: 'peer', config: peerFlag }] };
  }
  const self = selfNode(topology, connection, node);
  const others = topology.nodes.filter((n) => n.name !== self.name);
  if (peerFlag !== undefined)
    return { self: self.name, peers: [{ name: others.length === 1 ? others[0]!.name : 'peer', config: peerFlag }] };
  return { self: self.name, peers: others.map((n) => ({ name: n.name, config: peerConnection(topology, self, n, connection) })) };
}

export function printReport(io: CliIO, where: string, report: DoctorReport, migrationsSkipped: boolean): void {
  const counts = (['critical', 'warning', 'unknown'] as const)
    .map((s) => [s, report.checks.filter((c) => c.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  io.out(
    `DOCTOR ${paint(io, COLOR[report.severity], report.severity.toUpperCase())}: ${where} is ${report.node.role} (PostgreSQL ${report.node.serverVersion}); ${counts.length > 0 ? counts.join(', ') : `${report.checks.length} checks ok`}`,
  );
  for (const c of report.checks) io.out(`  ${paint(io, COLOR[c.severity], `[${c.severity}]`.padEnd(10))} ${c.summary}`);
  io.out(
    paint(
      io,
      'dim',
      `limits: lag ${formatBytes(report.thresholds.maxLagBytes)}, ${report.thresholds.maxLagSeconds} s${migrationsSkipped ? '; migrations not checked (no migrations folder here; pass --migrations-dir)' : ''}`,
    ),
  );
}

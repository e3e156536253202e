import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_MAX_BACKUP_AGE_HOURS } from '../../cluster/backup-health.js';
import { resolveLagThresholds } from '../../cluster/doctor-options.js';
import { runDoctor, type DoctorReport } from '../../cluster/doctor.js';
import { NAGIOS_CODE, type Severity } from '../../cluster/severity.js';
import { formatBytes } from '../../cluster/size.js';
import { DEFAULT_MAX_READY_WAL } from '../../cluster/wal-archive-health.js';
import { parseCount } from '../../config/durations.js';
import { assertNoProblems, describeConnection, resolveConnection } from '../../config/connection.js';
import { resolveEngineSettings } from '../../config/settings.js';
import { withConnection } from '../../database/connect.js';
import { ConnectionFailedError } from '../../errors.js';
import { paint, type CliIO } from '../io.js';
import { addConnectionOptions } from '../options.js';
import { renderError } from '../render-error.js';

const COLOR: Record<Severity, 'green' | 'yellow' | 'red' | 'dim'> = { ok: 'green', warning: 'yellow', critical: 'red', unknown: 'dim' };

/**
 * `db doctor`: the health of one node, with Nagios exit codes (0 ok, 1 warning, 2 critical,
 * 3 unknown) instead of the other commands' codes, so monitoring can run it as a plugin.
 * A node that cannot be reached is CRITICAL; a bad flag is UNKNOWN (the plugin convention).
 */
export function registerDoctor(program: Command, io: CliIO, run: (fn: () => Promise<number>) => Promise<void>): void {
  const cmd = program
    .command('doctor')
    .description(
      'check this node: replication (primary or standby), lag, slots, WAL archiving, backups, roles, migrations; Nagios exit codes 0/1/2/3',
    )
    .option('--json', 'print one JSON object')
    .option('--max-lag-bytes <size>', 'replication lag beyond this is critical (default 10MB)')
    .option('--max-lag-seconds <s>', 'replay lag beyond this many seconds is critical (default 5)')
    .option('--max-ready-wal <n>', `more WAL files waiting to be archived than this is critical (default ${DEFAULT_MAX_READY_WAL})`)
    .option(
      '--max-backup-age <hours>',
      `the newest full or differential pgBackRest backup may be this many hours old (default ${DEFAULT_MAX_BACKUP_AGE_HOURS})`,
    );
  addConnectionOptions(cmd);
  cmd.action((opts: Record<string, string | boolean | undefined>) =>
    run(async () => {
      try {
        const { thresholds, problems } = resolveLagThresholds({
          maxLagBytes: opts.maxLagBytes as string | undefined,
          maxLagSeconds: opts.maxLagSeconds as string | undefined,
        });
        const { settings, problems: engineProblems } = resolveEngineSettings(
          { migrationsDir: opts.migrationsDir as string | undefined },
          io.cwd,
        );
        problems.push(...engineProblems);
        const walLimits: { maxReadyWal?: number; maxBackupAgeHours?: number } = {};
        if (opts.maxReadyWal !== undefined) {
          const r = parseCount(opts.maxReadyWal as string, '--max-ready-wal');
          if ('problem' in r) problems.push(r.problem);
          else walLimits.maxReadyWal = r.n;
        }
        if (opts.maxBackupAge !== undefined) {
          const r = parseCount(opts.maxBackupAge as string, '--max-backup-age', 1);
          if ('problem' in r) problems.push(r.problem);
          else walLimits.maxBackupAgeHours = r.n;
        }
        const connection = resolveConnection(
          { url: opts.url as string | undefined, env: io.env, applicationName: 'voipdb-doctor' },
          problems,
        );
        assertNoProblems(problems);
        // Without a migrations folder (doctor run from anywhere by monitoring) the migration checks are skipped, not failed.
        const migrationsDir = opts.migrationsDir !== undefined || existsSync(settings.migrationsDir) ? settings.migrationsDir : undefined;
        const report = await withConnection(connection!, (client) =>
          runDoctor(client, { ...thresholds, ...walLimits, ...(migrationsDir !== undefined ? { migrationsDir } : {}) }),
        );
        if (opts.json) io.out(JSON.stringify(report));
        else printReport(io, describeConnection(connection!), report, migrationsDir === undefined);
        return report.exitCode;
      } catch (error) {
        renderError(error, io);
        return error instanceof ConnectionFailedError ? NAGIOS_CODE.critical : NAGIOS_CODE.unknown;
      }
    }),
  );
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

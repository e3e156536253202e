import { formatBytes } from '../../doctor/size.js';
import { resolvePromoteSettings } from '../../failover/promote-settings.js';
import { ExitCode, isVoipdbError } from '../../errors.js';
import { OldPrimaryAnswersError, PromoteLagTooHighError } from '../../failover/errors.js';
import { type PromoteFindings, type PromoteResult, promoteStandby } from '../../failover/promote.js';
import { slotNameFor } from '../../topology/types.js';
import { paint, type CliIO } from '../io.js';
import { assertNoProblems, optionalTopology, urlFlag } from './failover-options.js';
import { type Register, jsonOption } from '../options.js';

/**
 * `db promote --url <standby>`: checks, says what it found, then promotes. Exit 0 promoted,
 * 2 usage, 3 database (unreachable, pg_promote timed out), 4 not a standby, 5 refused by a check
 * (lag over the limits, old primary still answers; --force overrides).
 */
export const registerPromote: Register = (program, io, run) => {
  program
    .command('promote')
    .description('promote the hot standby to primary after checking replay lag and that the old primary is down')
    .requiredOption('--url <url>', 'the standby to promote, as a superuser (pg_promote)')
    .option('--max-lag-bytes <size>', 'refuse when more than this received WAL is not replayed yet (default 10MB)')
    .option('--max-lag-seconds <s>', 'refuse when replay is further behind than this (default 5)')
    .option('--old-primary <host:port>', 'where the old primary listens (default: host and port of this standby’s primary_conninfo)')
    .option(
      '--rejoin-slot <name>',
      'slot to create for the old primary’s rejoin (default: from the topology, else node1_slot ↔ node2_slot)',
    )
    .option('--topology <file>', 'topology YAML (else VOIPDB_TOPOLOGY, else ./topology.yaml when present)')
    .option('--wait <duration>', 'how long pg_promote may take (default 60s)')
    .option('--force', 'promote even if the old primary answers or the lag is over the limits (risk: two primaries, lost writes)')
    .addOption(jsonOption('print one JSON object (also when refused)'))
    .action((opts) =>
      run(async () => {
        const { settings, problems } = resolvePromoteSettings(opts);
        const { thresholds, oldPrimary, waitSeconds } = settings;
        const url = urlFlag(io, opts.url, '--url', 'voipdb-promote');
        assertNoProblems([...problems, ...url.problems]);
        const standby = url.config!;
        const topology = await optionalTopology(io, opts.topology);
        let result: PromoteResult;
        try {
          result = await promoteStandby({
            standby,
            thresholds,
            force: Boolean(opts.force),
            waitSeconds,
            ...(oldPrimary ? { oldPrimary } : {}),
            ...(opts.rejoinSlot ? { rejoinSlot: opts.rejoinSlot } : {}),
            ...(topology ? { topologySlots: topology.nodes.map(slotNameFor) } : {}),
          });
        } catch (error) {
          const findings = error instanceof OldPrimaryAnswersError || error instanceof PromoteLagTooHighError ? error.findings : undefined;
          if (findings) {
            if (opts.json) {
              const e = isVoipdbError(error) ? { code: error.code, message: error.message, hint: error.hint } : { message: String(error) };
              io.out(JSON.stringify({ findings, promoted: false, refused: e }));
            } else printFindings(io, findings, thresholds);
          }
          throw error;
        }
        const nextSteps = nextStepsAfter(result, standby.host);
        if (opts.json) {
          io.out(JSON.stringify({ ...result, nextSteps }));
          return ExitCode.ok;
        }
        printFindings(io, result.findings, thresholds);
        for (const f of result.forced) io.out(`  ${paint(io, 'red', 'forced')} ${f}`);
        io.out(
          `${paint(io, 'green', 'PROMOTED')} ${result.findings.standby} is now the primary${result.timeline ? ` (timeline ${result.timeline})` : ''}; slot ${result.slot.name} ${result.slot.created ? 'created' : 'already there'} for the old primary`,
        );
        for (const s of nextSteps) io.out(`  next: ${s}`);
        return ExitCode.ok;
      }),
    );
};

function printFindings(io: CliIO, f: PromoteFindings, limits: { maxLagBytes: number; maxLagSeconds: number }): void {
  const lag = f.lag;
  io.out(`${f.standby}: hot standby, PostgreSQL ${f.serverVersion}`);
  io.out(
    `  ${paint(io, lag.withinLimits ? 'green' : 'red', lag.withinLimits ? '[ok]' : '[over]')} replay: received ${lag.receiveLsn ?? 'nothing by streaming'}, replayed ${lag.replayLsn ?? '?'}; ${lag.lagBytes === null ? '?' : formatBytes(lag.lagBytes)} and ${(lag.lagSeconds ?? 0).toFixed(1)} s waiting (limits ${formatBytes(limits.maxLagBytes)}, ${limits.maxLagSeconds} s); WAL the old primary never sent cannot be seen from here`,
  );
  for (const h of f.oldPrimary.hosts) {
    io.out(
      `  ${paint(io, h.answers ? 'red' : 'green', h.answers ? '[answers]' : '[down]')} old primary ${h.host}:${h.port} (from ${f.oldPrimary.source === 'flag' ? '--old-primary' : 'primary_conninfo'}): ${h.answers ? 'a PostgreSQL server answers there' : 'no PostgreSQL server answers'}`,
    );
  }
}

function nextStepsAfter(result: PromoteResult, host: string): string[] {
  return [
    `keep the old primary stopped or fenced until it rejoins: it must never start as a primary again`,
    `Keepalived moves the VIP by itself when the old node is down; check that the VIP is on this node (ip addr)`,
    `services on this node now write here (their StandbyWriteError stops); \`db migrate\` runs here from now on`,
    `rejoin the old primary as a standby: db rejoin --url <old primary> --primary-url postgres://…@${host}/… --data-dir <its data dir>, then start it (slot ${result.slot.name})`,
    'update the topology file (this node primary, the old one standby) and re-render the configs (`db config render`)',
    '`db doctor` on both nodes once the old primary streams again',
  ];
}

import path from 'node:path';
import { type Command, Option, type OptionValues } from '@commander-js/extra-typings';
import { assertNoProblems, type ConnectionConfig, resolveConnection } from '../../config/connection.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { FailoverNode } from '../../failover/failover-node.js';
import type { CliIO } from '../io.js';
import type { Register } from '../options.js';

/**
 * `db failover watch|health|notify|guard|status`: the verbs Keepalived and systemd run on each
 * node (rendered by `db config render --service keepalived|systemd`); `switchover`, an operator's. Each reads the topology
 * (--topology, else VOIPDB_TOPOLOGY, else ./topology.yaml) and acts for --node.
 * Exit codes: health 0 = may hold the VIP, 1 = must not; guard 0 = start (as primary, standby or
 * fenced), 5 = refused (run `db rejoin`); switchover 0 = done, 5 = refused or undone, 4 = run on
 * the standby; notify always 0 (Keepalived ignores it; decisions are
 * logged); 2 = usage or topology.
 */
export const registerFailover: Register = (program, io, run) => {
  const failover = program.command('failover').description('automatic failover on Keepalived: the verbs its scripts and systemd run');

  withUrl(
    common(
      failover.command('watch').description('keep the lease: probe peer and witness, fence and unfence this node (runs until stopped)'),
    ),
  ).action((opts) =>
    run(async () => {
      const node = await loadNode(io, opts);
      const local = localConnection(io, node, opts.url);
      const { runWatch } = await import('../../failover/watch.js');
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await runWatch(node, local, controller.signal);
      return ExitCode.ok;
    }),
  );

  failover
    .command('health')
    .description("Keepalived's check: exit 0 when this node may hold the VIP")
    .requiredOption('--node <name>', 'this node, as named in the topology')
    .option('--state-dir <dir>', "the watch's state directory (failover.stateDir; the rendered check passes it, so no topology is read)")
    .option('--topology <file>', 'topology YAML, for its failover.stateDir (else VOIPDB_TOPOLOGY, else ./topology.yaml)')
    .addOption(
      new Option('--check <what>', 'database (may its database be or become writable) or witness (the tie-breaker)')
        .choices(['database', 'witness'])
        .default('database'),
    )
    .action((opts) =>
      run(async () => {
        const stateDir = opts.stateDir ? path.resolve(io.cwd, opts.stateDir) : (await loadNode(io, opts)).settings.stateDir;
        const { checkHealth } = await import('../../failover/health.js');
        const verdict = await checkHealth({ stateDir, node: opts.node }, opts.check);
        (verdict.ok ? io.out : io.err)(`${opts.node}: ${opts.check}: ${verdict.ok ? 'ok' : 'not ok'}: ${verdict.reason}`);
        return verdict.ok ? ExitCode.ok : ExitCode.notOk;
      }),
    );

  common(
    failover
      .command('notify')
      .description("Keepalived's notify: record and log the transition (the watch promotes a standby that holds the VIP, when safe)"),
  )
    .argument('<state>', 'MASTER, BACKUP, FAULT or STOP')
    .action((state, opts) =>
      run(async () => {
        const upper = VRRP_STATES.find((s) => s === state.toUpperCase());
        if (upper === undefined) {
          throw new UsageError(`unknown state ${JSON.stringify(state)}`, 'use MASTER, BACKUP, FAULT or STOP');
        }
        const node = await loadNode(io, opts);
        const { runNotify } = await import('../../failover/notify.js');
        await runNotify(node, upper);
        io.out(`${node.self.name}: recorded ${upper}`);
        return ExitCode.ok;
      }),
    );

  common(failover.command('guard').description('before PostgreSQL starts: start as primary only when the other node is not one'))
    .option('--peer-wait <ms>', 'how long to wait for the other node (default 5000)')
    .action((opts) =>
      run(async () => {
        const node = await loadNode(io, opts);
        const { runGuard } = await import('../../failover/guard.js');
        const wait = opts.peerWait === undefined ? undefined : Number(opts.peerWait);
        if (wait !== undefined && !(Number.isInteger(wait) && wait >= 0)) {
          throw new UsageError(`--peer-wait must be a whole number of ms, got ${JSON.stringify(opts.peerWait)}`, 'e.g. --peer-wait 5000');
        }
        const outcome = await runGuard(node, wait === undefined ? {} : { peerWaitMs: wait });
        io.out(`${node.self.name}: starts ${outcome.start}: ${outcome.reason}`);
        return ExitCode.ok;
      }),
    );

  withUrl(
    common(
      failover
        .command('switchover')
        .description('planned switchover, run on the primary: the other node becomes the primary and this one its standby'),
    ),
  )
    .option(
      '--peer-url <url>',
      "the other node's PostgreSQL as a superuser (default: --url with the other node's address from the topology)",
    )
    .action((opts) =>
      run(async () => {
        const node = await loadNode(io, opts);
        const local = localConnection(io, node, opts.url);
        const peer = opts.peerUrl ? connectionOf(io, opts.peerUrl, `voipdb-switchover-${node.self.name}`) : peerOf(local, node);
        const [{ switchover }, { DEFAULT_THRESHOLDS }] = await Promise.all([
          import('../../failover/switchover.js'),
          import('../../doctor/thresholds.js'),
        ]);
        const result = await switchover({
          node,
          local,
          peer,
          thresholds: DEFAULT_THRESHOLDS,
          onStep: (line) => io.err(`  · ${line}`),
        });
        io.out(
          `switched over: ${node.peer.name} is the primary${result.timeline ? ` on timeline ${result.timeline}` : ''}, ${node.self.name} its standby (handed over at ${result.handedOverAt}; slot ${result.slot.name})`,
        );
        return ExitCode.ok;
      }),
    );

  common(
    failover.command('status').description("this node's failover state (the watch's, Keepalived's and the last promotion's) as JSON"),
  ).action((opts) =>
    run(async () => {
      const node = await loadNode(io, opts);
      const { readState } = await import('../../failover/state.js');
      const { monotonicMs } = await import('../../failover/clock.js');
      const [watch, vrrp, promotion] = await Promise.all(
        (['watch', 'vrrp', 'promotion'] as const).map((k) => readState(node.settings.stateDir, node.self.name, k)),
      );
      const { readVerdict } = await import('../../failover/verdict-file.js');
      const { verdictFile } = await import('../../topology/verdict-check.js');
      // What Keepalived's checks read right now (ok already accounts for the expiry).
      const [database, witness] = await Promise.all(
        (['database', 'witness'] as const).map((check) => readVerdict(verdictFile(node.settings.stateDir, node.self.name, check))),
      );
      // null: that file is not there (no watch yet, no transition, no promotion this boot).
      io.out(
        JSON.stringify({
          node: node.self.name,
          mode: node.settings.mode,
          nowMs: monotonicMs(),
          watch: watch ?? null,
          vrrp: vrrp ?? null,
          promotion: promotion ?? null,
          verdicts: { database: database ?? null, witness: witness ?? null },
        }),
      );
      return ExitCode.ok;
    }),
  );
};

/** The states Keepalived's notify script passes, in any case. */
const VRRP_STATES = ['MASTER', 'BACKUP', 'FAULT', 'STOP'] as const;

/** --node and --topology: every verb acts for one node of the topology. */
function common<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(cmd: Command<Args, Opts, Parent>) {
  return cmd
    .requiredOption('--node <name>', 'this node, as named in the topology')
    .option('--topology <file>', 'topology YAML (else VOIPDB_TOPOLOGY, else ./topology.yaml)');
}

/** --url of the verbs that talk to this node's own server. */
function withUrl<Args extends unknown[], Opts extends OptionValues, Parent extends OptionValues>(cmd: Command<Args, Opts, Parent>) {
  return cmd.option('--url <url>', "this node's own PostgreSQL as a superuser (default: failover.localUrl, else PG* variables)");
}

async function loadNode(io: CliIO, opts: { node: string; topology?: string }): Promise<FailoverNode> {
  const file = path.resolve(io.cwd, opts.topology ?? io.env.VOIPDB_TOPOLOGY ?? 'topology.yaml');
  const { loadTopology } = await import('../../topology/load.js');
  const { failoverNodeOf } = await import('../../failover/failover-node.js');
  return failoverNodeOf(await loadTopology(file), opts.node);
}

function localConnection(io: CliIO, node: FailoverNode, url: string | undefined): ConnectionConfig {
  return connectionOf(io, url ?? node.settings.localUrl, `voipdb-failover-${node.self.name}`);
}

function connectionOf(io: CliIO, url: string | undefined, applicationName: string): ConnectionConfig {
  const { config, problems } = resolveConnection({ url, env: io.env, applicationName });
  assertNoProblems(problems);
  return config!;
}

/** The other node's server with this node's credentials and settings: only the address changes. */
function peerOf(local: ConnectionConfig, node: FailoverNode): ConnectionConfig {
  const { hosts: _oneHostOnly, ...rest } = local;
  return { ...rest, host: node.peer.address, port: node.topology.database.port };
}

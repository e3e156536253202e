import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { withConnection } from '../../src/database/connect.js';
import { stopCluster } from '../../src/local/cluster.js';
import { ensureKamailio, type KamailioInstall } from '../support/kamailio.js';
import { createLab, type Lab, MEMBERS, VIP, WITNESS } from './lab.js';
import {
  asPostgres,
  initPrimary,
  NODES,
  type NodeName,
  PG_PORT,
  type PgCluster,
  preparePgCluster,
  prepareSchema,
  startPostgres,
} from './pg-nodes.js';
import { SIP_DOMAIN, SIP_USER, startNodeKamailio, startRegisterLoop, type SippLoop } from './sip.js';

const run = promisify(execFile);

export const REPO = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(REPO, 'dist/cli/main.js');
const STANDINS = path.join(import.meta.dirname, 'standins');
export const ADMIN_PORT = 8080;
/**
 * How long a service may take to come up. Generous: on a shared 2-core machine a Node process
 * (the stand-ins, Keepalived's `db failover health`) was seen to take 20 s to start.
 */
const STARTUP_TIMEOUT_MS = 90_000;

/** Keepalived's and the watch's timing in the drill: the topology's defaults, written out so the figures can name them. */
export const FAILOVER_TIMING = { advertIntervalMs: 1000, leaseMs: 1500, probeIntervalMs: 250, probeTimeoutMs: 200 } as const;

/**
 * The drill's fixed parts, made once per test file: the lab (namespaces and bridge), the
 * secrets, the topology file, and a stopped primary/standby pair (node 1 initdb'd and migrated,
 * node 2 cloned from it by `db standby clone`) that every scenario starts from a copy of.
 */
export interface Drill {
  lab: Lab;
  root: string;
  install: KamailioInstall;
  cluster: PgCluster;
  topologyFile: string;
  sipPassword: string;
  /** `db <args>` inside a node's namespace as root with the lab's passfile; rejects on exit != 0 with the output. */
  db(node: NodeName, args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  destroy(): Promise<void>;
}

/**
 * One scenario's running platform: on each node PostgreSQL 18, `db failover watch`, Keepalived
 * (configured by `db config render --service keepalived`), Kamailio and the VoIP Admin stand-in;
 * in `phones` sipp and the CDR poster; in the test's own namespace the write prober (over the
 * servers' Unix sockets). Every process of a node runs in its namespace, so "every process of
 * node 1" is exactly `ip netns pids`.
 */
export interface Platform {
  drill: Drill;
  sipp: SippLoop;
  ackLog: string;
  probeLog: string;
  /** Boots a node as its service manager does after a reboot: the guard, then PostgreSQL if it allows, then the services. */
  boot(node: NodeName): Promise<{ guard: 'allowed' | 'refused'; output: string }>;
  /** Starts a node's services (watch, Keepalived, Kamailio, VoIP Admin) on an already running PostgreSQL. */
  startServices(node: NodeName): Promise<void>;
  /** Fast shutdown of a node's PostgreSQL (the service manager's stop), if it runs. */
  stopNodePostgres(node: NodeName): Promise<void>;
  /** Stops sipp and the CDR poster (a post in flight is then either acknowledged and logged, or not). */
  stopTraffic(): Promise<void>;
  stop(): Promise<void>;
}

/** dist/ must hold the CLI of this source tree (keepalived, the watch and the guard run the built `db`). */
export function checkBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const src = path.join(REPO, 'src');
  const newest = Math.max(
    ...readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => statSync(path.join(src, f)).mtimeMs),
  );
  if (newest > statSync(CLI).mtimeMs) {
    throw new Error('dist/ is older than src/: run `npm run build` first (npm test does); the drill runs the built `db`');
  }
}

const randomSecret = (): string => randomBytes(16).toString('hex');

function digestHa1(user: string, realm: string, password: string): string {
  return createHash('md5').update(`${user}:${realm}:${password}`).digest('hex');
}

/** Polls `check` every `everyMs` until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 50,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    signal?.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The drill's topology: the platform's, with the lab's paths and the failover block in automatic mode. */
function topology(root: string, cluster: PgCluster, dbCommand: string, topologyFile: string): Record<string, unknown> {
  const node = (name: NodeName) => ({ dataDir: cluster.nodes[name].dataDir, binDir: cluster.binDir });
  return {
    vip: { address: VIP, httpPort: ADMIN_PORT, httpScheme: 'http' },
    database: { name: 'voipdb', port: PG_PORT, localHost: '127.0.0.1' },
    roles: { kamailio: 'kamailio', voipadmin: 'voipadmin', replicator: 'replicator' },
    secrets: {
      kamailioPasswordFile: path.join(root, 'secrets', 'kamailio.password'),
      voipadminPasswordFile: path.join(root, 'secrets', 'voipadmin.password'),
      replicatorPassfile: cluster.passfile,
    },
    freeswitch: { directoryPath: '/freeswitch/directory', cdrPath: '/freeswitch/cdr' },
    nodes: [
      { name: 'node1', address: cluster.nodes.node1.address, role: 'primary' },
      { name: 'node2', address: cluster.nodes.node2.address, role: 'standby' },
    ],
    failover: {
      mode: 'automatic',
      witness: WITNESS,
      interface: 'eth0',
      virtualRouterId: 51,
      ...FAILOVER_TIMING,
      command: dbCommand,
      topologyFile,
      stateDir: path.join(root, 'state'),
      // 127.0.0.1 is each node's own loopback inside its namespace; the password comes from the passfile.
      localUrl: `postgresql://postgres@127.0.0.1:${PG_PORT}/voipdb?passfile=${cluster.passfile}`,
      restart: 'pg_ctl',
      nodes: { node1: node('node1'), node2: node('node2') },
    },
  };
}

/** Kamailio's writes, audited in the same transaction as the location row: which node wrote which contact. */
const AUDIT_SQL = `
CREATE SCHEMA drill;
CREATE TABLE drill.location_writes (contact text NOT NULL, written_on text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION drill.audit_location() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  INSERT INTO drill.location_writes (contact, written_on) VALUES (NEW.contact, current_setting('cluster_name'));
  RETURN NEW;
END $$;
CREATE TRIGGER drill_audit AFTER INSERT OR UPDATE ON kamailio.location FOR EACH ROW EXECUTE FUNCTION drill.audit_location();
`;

const templateDir = (root: string, node: NodeName): string => path.join(root, 'template', node);

export async function createDrill(): Promise<Drill> {
  checkBuilt();
  const install = await ensureKamailio();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'voipdb-drill-'));
  await fs.chmod(root, 0o755);
  let lab: Lab | undefined;
  const destroy = async (): Promise<void> => {
    await lab?.destroy();
    if (!process.env.DRILL_KEEP) await fs.rm(root, { recursive: true, force: true });
  };
  try {
    lab = await createLab();
    const theLab = lab;
    const secrets = { superuser: randomSecret(), replicator: randomSecret(), kamailio: randomSecret(), voipadmin: randomSecret() };
    const sipPassword = randomSecret();
    const cluster = await preparePgCluster(root, secrets);
    const topologyFile = path.join(root, 'topology.yaml');
    // The `db` keepalived's scripts call: root-owned, not writable by others (keepalived's script security).
    const dbCommand = path.join(root, 'bin', 'db');
    await fs.mkdir(path.dirname(dbCommand), { recursive: true, mode: 0o755 });
    await fs.writeFile(dbCommand, `#!/bin/sh\nexec ${process.execPath} ${CLI} "$@"\n`, { mode: 0o755 });
    await fs.writeFile(topologyFile, stringify(topology(root, cluster, dbCommand, topologyFile)));
    const db = (node: NodeName, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> =>
      theLab.exec(node, process.execPath, [CLI, ...args], { ...process.env, PGPASSFILE: cluster.passfile, NO_COLOR: '1', ...env });

    // Node 1: a fresh primary with voipdb migrated, the subscriber, the drill's audit and probe tables.
    await initPrimary(cluster);
    await startPostgres(theLab, cluster, 'node1');
    await prepareSchema(cluster, async (voipdb) => {
      // `db migrate` on node 1, as the platform runs it: the roles' passwords come from the environment.
      await db('node1', ['migrate', '--url', `postgres://postgres@127.0.0.1:${PG_PORT}/voipdb`], {
        VOIPDB_KAMAILIO_PASSWORD: secrets.kamailio,
        VOIPDB_VOIPADMIN_PASSWORD: secrets.voipadmin,
      });
      await withConnection(voipdb, async (c) => {
        await c.query('INSERT INTO kamailio.subscriber (username, domain, ha1) VALUES ($1, $2, $3)', [
          SIP_USER,
          SIP_DOMAIN,
          digestHa1(SIP_USER, SIP_DOMAIN, sipPassword),
        ]);
        await c.query(AUDIT_SQL);
      });
    });
    await withConnection(cluster.config('node1'), async (c) => {
      await c.query('CREATE TABLE drill_probe (node int NOT NULL, at timestamptz NOT NULL)');
    });
    // Node 2: `db standby clone` run on node 2, over the network, as an operator would.
    await db('node2', [
      'standby',
      'clone',
      '--primary-url',
      `postgres://postgres@${cluster.nodes.node1.address}:${PG_PORT}/postgres`,
      '--data-dir',
      cluster.nodes.node2.dataDir,
      '--node',
      'node2',
      '--passfile',
      cluster.passfile,
    ]);
    await startPostgres(theLab, cluster, 'node2');
    await waitFor(
      'node 2 streaming from node 1',
      () =>
        withConnection(cluster.config('node1'), async (c) => {
          const { rows } = await c.query(`SELECT 1 FROM pg_stat_replication WHERE application_name = 'node2' AND state = 'streaming'`);
          return rows.length === 1;
        }),
      60_000,
      200,
    );
    // The pair, stopped (standby first), is every scenario's starting point.
    await stopCluster(cluster.nodes.node2.dataDir);
    await stopCluster(cluster.nodes.node1.dataDir);
    for (const node of NODES) {
      await fs.mkdir(path.dirname(templateDir(root, node)), { recursive: true });
      await fs.rename(cluster.nodes[node].dataDir, templateDir(root, node));
    }
    return { lab: theLab, root, install, cluster, topologyFile, sipPassword, db, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** Starts the platform of one scenario from the drill's stopped pair: node 1 primary with the VIP, node 2 streaming, traffic flowing. */
export async function startPlatform(drill: Drill, signal?: AbortSignal): Promise<Platform> {
  const { lab, root, cluster, install, topologyFile } = drill;
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const member of MEMBERS) {
      await lab.killAll(member);
      await lab.restoreLink(member).catch(() => undefined);
    }
  };
  const dbEnv = { ...process.env, PGPASSFILE: cluster.passfile };
  const osUserArgs = cluster.osUser ? ['--reuid', String(cluster.osUser.uid), '--regid', String(cluster.osUser.gid), '--init-groups'] : [];
  const spawnLogged = async (member: NodeName | 'phones', name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv) => {
    // A scenario past its deadline is being torn down: start nothing more.
    signal?.throwIfAborted();
    const log = await fs.open(path.join(root, 'run', member, `${name}.log`), 'a');
    const child = lab.spawn(member, cmd, args, { stdio: ['ignore', log.fd, log.fd], cwd: REPO, ...(env ? { env } : {}) });
    await log.close();
    children.push(child);
    return child;
  };
  const standin = (script: string): string[] => [path.join(STANDINS, script)];

  try {
    // A clean slate: the pair's data from the template, empty state and logs.
    // The last scenario's logs: kept beside (runs/) with DRILL_KEEP, else removed.
    const lastRun = path.join(root, 'run');
    if (process.env.DRILL_KEEP && existsSync(lastRun)) {
      await fs.mkdir(path.join(root, 'runs'), { recursive: true });
      await fs.rename(lastRun, path.join(root, 'runs', new Date().toISOString().replace(/[:.]/g, '-')));
    }
    await fs.rm(lastRun, { recursive: true, force: true, maxRetries: 5 });
    for (const member of MEMBERS) await fs.mkdir(path.join(root, 'run', member), { recursive: true });
    const stateDir = path.join(root, 'state');
    await fs.rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
    await fs.mkdir(stateDir, { mode: 0o755 });
    if (cluster.osUser) await fs.chown(stateDir, cluster.osUser.uid, cluster.osUser.gid);
    for (const node of NODES) {
      await fs.rm(cluster.nodes[node].dataDir, { recursive: true, force: true });
      // cp -a keeps the postgres owner and the modes; much faster than copying file by file from Node.
      await run('cp', ['-a', templateDir(root, node), cluster.nodes[node].dataDir]);
    }

    const keepalivedConfig = async (node: NodeName): Promise<string> => {
      try {
        return await drill.db(node, ['config', 'render', '--topology', topologyFile, '--node', node, '--service', 'keepalived']);
      } catch (error) {
        throw new Error(
          `\`db config render --service keepalived\` failed: the drill needs the failover verbs (keepalived rendering, db failover watch/health/notify/guard): ${(error as Error).message}`,
        );
      }
    };

    const startKeepalived = async (node: NodeName): Promise<void> => {
      const dir = path.join(root, 'run', node);
      const conf = path.join(dir, 'keepalived.conf');
      await fs.writeFile(conf, await keepalivedConfig(node));
      await spawnLogged(node, 'keepalived', 'keepalived', [
        '--dont-fork',
        '--log-console',
        '--log-detail',
        '--vrrp',
        '--use-file',
        conf,
        '--pid',
        path.join(dir, 'keepalived.pid'),
        '--vrrp_pid',
        path.join(dir, 'vrrp.pid'),
        '--checkers_pid',
        path.join(dir, 'checkers.pid'),
      ]);
    };

    const startServices = async (node: NodeName, options: { keepalived?: boolean } = {}): Promise<void> => {
      const dir = path.join(root, 'run', node);
      await spawnLogged(
        node,
        'watch',
        'setpriv',
        [...osUserArgs, process.execPath, CLI, 'failover', 'watch', '--topology', topologyFile, '--node', node],
        dbEnv,
      );
      if (options.keepalived !== false) await startKeepalived(node);
      await startNodeKamailio(
        lab,
        install,
        node,
        path.join(dir, 'kamailio'),
        `postgres://kamailio:${cluster.secrets.kamailio}@127.0.0.1:${PG_PORT}/voipdb`,
      );
      const admin = await spawnLogged(node, 'voip-admin', process.execPath, standin('voip-admin.mjs'), {
        ...process.env,
        DRILL_DB_URL: `postgres://voipadmin:${cluster.secrets.voipadmin}@127.0.0.1:${PG_PORT}/voipdb`,
        DRILL_HTTP_PORT: String(ADMIN_PORT),
      });
      const adminLog = path.join(dir, 'voip-admin.log');
      await waitFor(
        `the VoIP Admin stand-in on ${node}`,
        async () => {
          if (admin.exitCode !== null) throw new Error(`the VoIP Admin stand-in on ${node} exited: ${await fs.readFile(adminLog, 'utf8')}`);
          return (await fs.readFile(adminLog, 'utf8').catch(() => '')).includes('listening');
        },
        STARTUP_TIMEOUT_MS,
        100,
        signal,
      );
    };

    // Keepalived gives the VIP only to a node whose health scripts pass within their timeout: when
    // that never happens, say what Keepalived logged and how long one health check takes here.
    const waitForVip = async (node: NodeName): Promise<void> => {
      try {
        await waitFor(`the VIP on ${node} (Keepalived)`, () => lab.hasAddress(node, VIP), STARTUP_TIMEOUT_MS, 100, signal);
      } catch (error) {
        const log = await fs.readFile(path.join(root, 'run', node, 'keepalived.log'), 'utf8').catch(() => '');
        const scripts = log.split('\n').filter((l) => /VRRP_Script|Entering|timed_out/.test(l));
        const started = Date.now();
        const health = await asPostgres(lab, cluster, node, process.execPath, [
          CLI,
          'failover',
          'health',
          '--check',
          'database',
          '--topology',
          topologyFile,
          '--node',
          node,
        ]).then(
          (out) => `exit 0 (${out.trim()})`,
          (e: Error) => `failed (${e.message.split('\n').slice(-1)[0]})`,
        );
        throw new Error(
          `${(error as Error).message}; Keepalived's last script and state lines: ${scripts.slice(-4).join(' | ') || 'none'}; one \`db failover health --check database\` run here now took ${Date.now() - started} ms and ${health}`,
        );
      }
    };

    const boot = async (node: NodeName): Promise<{ guard: 'allowed' | 'refused'; output: string }> => {
      let output: string;
      try {
        output = await asPostgres(
          lab,
          cluster,
          node,
          process.execPath,
          [CLI, 'failover', 'guard', '--topology', topologyFile, '--node', node],
          dbEnv,
        );
      } catch (error) {
        // The unit fails: PostgreSQL is not started, and neither are the services that need it.
        return { guard: 'refused', output: (error as Error).message };
      }
      await startPostgres(lab, cluster, node);
      await startServices(node);
      return { guard: 'allowed', output };
    };

    await Promise.all(NODES.map((node) => startPostgres(lab, cluster, node)));
    // Node 1 takes the VIP first (as when the platform was installed); node 2's Keepalived starts once it holds it.
    await Promise.all([startServices('node1').then(() => waitForVip('node1')), startServices('node2', { keepalived: false })]);
    await startKeepalived('node2');

    const sipp = await startRegisterLoop(lab, install, path.join(root, 'run', 'phones'), drill.sipPassword);
    children.push(sipp.child);
    const ackLog = path.join(root, 'run', 'phones', 'acked-cdrs.log');
    const poster = await spawnLogged('phones', 'cdr-poster', process.execPath, standin('cdr-poster.mjs'), {
      ...process.env,
      DRILL_CDR_URL: `http://${VIP}:${ADMIN_PORT}/cdr`,
      DRILL_ACK_LOG: ackLog,
    });
    const probeLog = path.join(root, 'run', 'probe.log');
    const prober = spawn(process.execPath, standin('write-prober.mjs'), {
      cwd: REPO,
      env: {
        ...process.env,
        PGPASSWORD: cluster.secrets.superuser,
        DRILL_PROBE_SOCKETS: `${cluster.nodes.node1.socketDir},${cluster.nodes.node2.socketDir}`,
        DRILL_PROBE_LOG: probeLog,
      },
      stdio: 'ignore',
    });
    children.push(prober);
    // Traffic flows through the VIP: REGISTERs answered 200, CDRs acknowledged, both nodes probed.
    await waitFor(
      'a 200 OK REGISTER through the VIP',
      async () => (await fs.readFile(sipp.logFile, 'utf8').catch(() => '')).includes('OK '),
      STARTUP_TIMEOUT_MS,
      100,
      signal,
    );
    await waitFor(
      'an acknowledged CDR',
      async () => (await fs.readFile(ackLog, 'utf8').catch(() => '')).length > 0,
      STARTUP_TIMEOUT_MS,
      100,
      signal,
    );
    await waitFor(
      'the write prober',
      async () => (await fs.readFile(probeLog, 'utf8').catch(() => '')).length > 0,
      STARTUP_TIMEOUT_MS,
      100,
      signal,
    );
    const stopTraffic = async (): Promise<void> => {
      for (const c of [sipp.child, poster]) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
    };
    const stopNodePostgres = async (node: NodeName): Promise<void> => {
      await stopCluster(cluster.nodes[node].dataDir);
    };
    return { drill, sipp, ackLog, probeLog, boot, startServices, stopNodePostgres, stopTraffic, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

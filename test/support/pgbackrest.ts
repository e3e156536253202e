import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type PgbackrestRun, runPgbackrest } from '../../src/backup/pgbackrest.js';
import type { ConnectionConfig } from '../../src/config/connection.js';
import { type ClusterSpec, freePort, makeServerDir, serverOsUser, startCluster } from '../../src/local/cluster.js';
import { parseTopology, renderNodeConfig } from '../../src/topology/index.js';
import { splitRenderedFiles } from '../../src/topology/render-pgbackrest.js';
import { type CliRun, runCli } from './cli.js';
import { query } from './database.js';
import { makeRunDir } from './servers.js';

/**
 * Debian's pgBackRest for the backup tests, configured from what `db config render` writes. Each
 * test file has its own stanza, repository, log and lock folders under its run folder, so files
 * running side by side never share a lock or a repository. Servers started after
 * prepareBackupRun() inherit PGBACKREST_LOG_PATH/LOCK_PATH, so archive-push logs there too.
 */
export interface BackupRun {
  root: string;
  stanza: string;
  repo: string;
  /** One socket folder for every node of the run: pgBackRest reaches each by its port there. */
  socketDir: string;
  configFile: string;
}

export async function prepareBackupRun(label: string): Promise<BackupRun> {
  const version = await runPgbackrest(['version']);
  if (!version) {
    throw new Error(
      "the backup tests need Debian's pgbackrest package (apt-get install pgbackrest, as .ci/run does); pgbackrest is not on PATH",
    );
  }
  const root = await makeRunDir(`backup-${label}`);
  const osUser = serverOsUser();
  for (const dir of ['repo', 'sock', 'log', 'lock']) await makeServerDir(path.join(root, dir), osUser, 0o750);
  await fs.chmod(path.join(root, 'sock'), 0o755);
  process.env.PGBACKREST_LOG_PATH = path.join(root, 'log');
  process.env.PGBACKREST_LOCK_PATH = path.join(root, 'lock');
  return {
    root,
    stanza: `${label.replace(/[^A-Za-z0-9_-]/g, '_')}_${process.pid}`,
    repo: path.join(root, 'repo'),
    socketDir: path.join(root, 'sock'),
    configFile: path.join(root, 'pgbackrest.conf'),
  };
}

export interface TopologyNodeSpec {
  name: string;
  role: 'primary' | 'standby';
  dataDir: string;
  port: number;
}

/** A topology whose backup block points at this run's repository, sockets and data directories. */
export function backupTopologyYaml(run: BackupRun, nodes: TopologyNodeSpec[], extra: { archive?: boolean } = {}): string {
  return [
    'vip: { address: 10.99.0.100 }',
    `database: { port: ${nodes[0]!.port} }`,
    'nodes:',
    ...nodes.map((n, i) => `  - { name: ${n.name}, address: 10.99.0.${i + 1}, role: ${n.role} }`),
    'backup:',
    `  archive: ${extra.archive ?? true}`,
    `  stanza: ${run.stanza}`,
    `  configFile: ${run.configFile}`,
    `  repository: { path: ${run.repo}, retentionFull: 2 }`,
    `  socketDirectory: ${run.socketDir}`,
    '  archiveTimeoutSeconds: 60',
    '  dataDirectory:',
    ...nodes.map((n) => `    ${n.name}: ${n.dataDir}`),
    '',
  ].join('\n');
}

/** The archive_* settings `db config render --service postgres` gives a node, as server settings. */
export function renderedArchiveSettings(yaml: string, node: string): Record<string, string> {
  const conf = renderNodeConfig(parseTopology(yaml), node, 'postgres');
  return Object.fromEntries([...conf.matchAll(/^(archive_\w+) = (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/**
 * Writes the node's rendered pgbackrest.conf. The nodes of a test all run on this machine, so the
 * other nodes' `pgN-host` lines (SSH between two machines) are dropped and each pgN keeps its own
 * node's port; everything else is as rendered.
 */
export async function writeRenderedPgbackrestConf(run: BackupRun, yaml: string, node: string, nodes: TopologyNodeSpec[]): Promise<string> {
  const rendered = splitRenderedFiles(renderNodeConfig(parseTopology(yaml), node, 'pgbackrest'));
  const conf = rendered.find((f) => f.path === run.configFile)!.text;
  const order = [node, ...nodes.map((n) => n.name).filter((n) => n !== node)];
  const local = conf
    .split('\n')
    .filter((line) => !/^pg\d+-host(-user)?=/.test(line))
    .map((line) => {
      const m = /^pg(\d+)-port=/.exec(line);
      return m ? `pg${m[1]}-port=${nodes.find((n) => n.name === order[Number(m[1]) - 1])!.port}` : line;
    })
    .join('\n');
  await fs.writeFile(run.configFile, local, { mode: 0o640 });
  const osUser = serverOsUser();
  if (osUser) await fs.chown(run.configFile, osUser.uid, osUser.gid);
  return local;
}

/** pgbackrest as the postgres OS user with this run's config; commands that connect get the superuser's password. */
export async function pgbackrest(run: BackupRun, args: string[], password?: string): Promise<PgbackrestRun> {
  const result = await runPgbackrest([`--stanza=${run.stanza}`, ...args], {
    osUser: serverOsUser(),
    configFile: run.configFile,
    env: password ? { PGPASSWORD: password } : {},
    timeoutMs: 120_000,
  });
  return result!;
}

/** Like pgbackrest(), but fails the test with pgBackRest's output when the command fails. */
export async function mustPgbackrest(run: BackupRun, args: string[], password?: string): Promise<string> {
  const r = await pgbackrest(run, args, password);
  if (r.code !== 0) throw new Error(`pgbackrest ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * This run's log and lock folders, for a pgBackRest the CLI under test starts: runCli passes no
 * environment of the test process, so prepareBackupRun()'s settings would not reach it.
 */
export function pgbackrestEnv(run: BackupRun): Record<string, string> {
  return { PGBACKREST_LOG_PATH: path.join(run.root, 'log'), PGBACKREST_LOCK_PATH: path.join(run.root, 'lock') };
}

/** The server's clock now, as `db backup restore --before` takes it (UTC, microseconds): a target between two commits. */
export async function restoreTargetNow(config: ConnectionConfig): Promise<string> {
  const [row] = await query<{ at: string }>(
    config,
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`,
  );
  return row!.at;
}

/** `db backup restore --before <before>` of this run's stanza into `dataDir`, with the built CLI. */
export function restoreBefore(run: BackupRun, before: string, dataDir: string, ...flags: string[]): Promise<CliRun> {
  return runCli(
    [
      'backup',
      'restore',
      '--stanza',
      run.stanza,
      '--pgbackrest-config',
      run.configFile,
      '--before',
      before,
      '--data-dir',
      dataDir,
      ...flags,
    ],
    { env: pgbackrestEnv(run), timeoutMs: 180_000 },
  );
}

/**
 * Starts a restored data directory on a port of its own with `like`'s settings minus its port and
 * archive_*: command-line settings would override the archive_mode = off pgBackRest wrote for the
 * copy, which must not archive into the repository. Returns the copy's port.
 */
export async function startRestoredCopy(run: BackupRun, like: ClusterSpec, dataDir: string): Promise<number> {
  const { archive_mode: _m, archive_command: _c, archive_timeout: _t, port: _p, ...settings } = like.settings ?? {};
  const port = await freePort();
  const socketDir = path.join(run.root, 'restored-sock');
  await startCluster(
    {
      ...like,
      dataDir,
      port,
      socketDir,
      logFile: path.join(run.root, 'restored.log'),
      settings: { ...settings, unix_socket_directories: socketDir },
    },
    serverOsUser(),
  );
  return port;
}

import { archivingOf, type BackupTopology, dataDirectoryOf, type Topology, type TopologyNode } from './types.js';

/**
 * pgBackRest on the pair, rendered from the topology: one stanza with this node as pg1 and the
 * other as pg2 (pgBackRest finds which is primary itself), one repository both reach, and
 * systemd units that back up from whichever node is primary. The same files on both nodes
 * apart from pg1/pg2, so a failover needs no edit.
 */
export interface RenderedFile {
  /** Where the file goes on the node. */
  path: string;
  text: string;
}

/** pgBackRest's default configuration file; archive_command names any other. */
export const DEFAULT_PGBACKREST_CONFIG = '/etc/pgbackrest/pgbackrest.conf';

/** The systemd units the backup timers start, one per backup type (`%i`). */
export const BACKUP_SERVICE_UNIT = 'voipdb-backup@.service';
export const BACKUP_TIMERS = { full: 'voipdb-backup-full.timer', diff: 'voipdb-backup-diff.timer' } as const;

/** `pgbackrest [--config=…] --stanza=…`: the start of every command line rendered here. */
export function pgbackrestCommand(backup: BackupTopology): string {
  return `pgbackrest${backup.configFile === DEFAULT_PGBACKREST_CONFIG ? '' : ` --config=${backup.configFile}`} --stanza=${backup.stanza}`;
}

/** postgresql.conf lines for WAL archiving: archive_mode is never on without a command. */
export function archiveSettings(t: Topology): string[] {
  const backup = archivingOf(t);
  if (!backup) {
    return [
      '# no WAL archive (the topology has no backup block, or backup.archive is false): no point-in-time recovery',
      'archive_mode = off',
    ];
  }
  return [
    `# WAL archive: pgBackRest, stanza ${backup.stanza}; the same on both nodes (a standby's archiver starts when it is promoted)`,
    'archive_mode = on',
    `archive_command = '${pgbackrestCommand(backup)} archive-push %p'`,
    `# a segment is switched and archived at least every ${backup.archiveTimeoutSeconds} s while anything is written: the RPO of a lost disk`,
    `archive_timeout = ${backup.archiveTimeoutSeconds}`,
  ];
}

export function renderPgbackrestFiles(t: Topology, node: TopologyNode, headerLine: string): RenderedFile[] {
  const backup = archivingOf(t);
  if (!backup) {
    return [
      {
        path: DEFAULT_PGBACKREST_CONFIG,
        text: `${headerLine}\n# no WAL archive in the topology (backup.archive is false or there is no backup block): nothing to configure\n`,
      },
    ];
  }
  const others = t.nodes.filter((n) => n.name !== node.name);
  const pg = (index: number, n: TopologyNode, local: boolean): string[] => [
    local
      ? `# pg${index}: this node's own PostgreSQL (${n.name}), through its socket`
      : `# pg${index}: ${n.name} over SSH as postgres (keys between the nodes' postgres users); pgBackRest tells primary from standby itself`,
    ...(local ? [] : [`pg${index}-host=${n.address}`, `pg${index}-host-user=postgres`]),
    `pg${index}-path=${dataDirectoryOf(backup, n)}`,
    `pg${index}-port=${t.database.port}`,
    ...(backup.socketDirectory ? [`pg${index}-socket-path=${backup.socketDirectory}`] : []),
  ];
  const conf = [
    headerLine,
    '# mode 0640, owned by postgres',
    '[global]',
    '# the repository: storage both nodes reach and that is not on their own disks (the archive must outlive a node)',
    `repo1-path=${backup.repository.path}`,
    `repo1-retention-full=${backup.repository.retentionFull}`,
    '# a backup starts with an immediate checkpoint instead of waiting for the next one',
    'start-fast=y',
    'log-level-console=info',
    'log-level-file=detail',
    '',
    `[${backup.stanza}]`,
    ...pg(1, node, true),
    ...others.flatMap((n, i) => pg(i + 2, n, false)),
    '',
  ].join('\n');

  const psqlHost = backup.socketDirectory ? ` -h ${backup.socketDirectory}` : '';
  const service = [
    headerLine,
    '[Unit]',
    `Description=pgBackRest %i backup of stanza ${backup.stanza}, taken on the node that is primary`,
    'After=postgresql.service',
    `ConditionPathExists=${backup.configFile}`,
    '',
    '[Service]',
    'Type=oneshot',
    'User=postgres',
    'Group=postgres',
    '# Both nodes run the timers; on the standby (or with PostgreSQL down) the condition fails and the run is',
    '# skipped, not failed: only the primary backs up, and a failover needs no edit.',
    `ExecCondition=/bin/sh -c 'psql -XAtq${psqlHost} -p ${t.database.port} -d postgres -c "SELECT pg_is_in_recovery()" | grep -qx f'`,
    `ExecStart=/usr/bin/${pgbackrestCommand(backup)} --type=%i backup`,
    '',
  ].join('\n');
  const timer = (type: 'full' | 'diff', calendar: string, what: string): string =>
    [
      headerLine,
      '[Unit]',
      `Description=${what} pgBackRest backup of stanza ${backup.stanza}`,
      '',
      '[Timer]',
      `OnCalendar=${calendar}`,
      '# a run missed while the node was down happens at the next boot',
      'Persistent=true',
      `Unit=${BACKUP_SERVICE_UNIT.replace('@', `@${type}`)}`,
      '',
      '[Install]',
      'WantedBy=timers.target',
      '',
    ].join('\n');
  return [
    { path: backup.configFile, text: conf },
    { path: `/etc/systemd/system/${BACKUP_SERVICE_UNIT}`, text: service },
    { path: `/etc/systemd/system/${BACKUP_TIMERS.full}`, text: timer('full', backup.schedule.full, 'full') },
    { path: `/etc/systemd/system/${BACKUP_TIMERS.diff}`, text: timer('diff', backup.schedule.differential, 'differential') },
  ];
}

/** The rendered files as one text, each under a `# ==> path <==` line (as `tail` prints several files). */
export function joinRenderedFiles(files: RenderedFile[]): string {
  return files.map((f) => `# ==> ${f.path} <==\n${f.text}`).join('\n');
}

/** The files back from joinRenderedFiles' text (for installers and tests). */
export function splitRenderedFiles(text: string): RenderedFile[] {
  const parts = text.split(/^# ==> (.+) <==\n/m).slice(1);
  const files: RenderedFile[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const last = i + 2 >= parts.length;
    // joinRenderedFiles put one blank line between files.
    files.push({ path: parts[i]!, text: last ? parts[i + 1]! : parts[i + 1]!.replace(/\n$/, '') });
  }
  return files;
}

import { z } from 'zod';
import { absolutePath, mapping, text } from './schema-fields.js';

/**
 * The topology's `backup:` block: WAL archiving and backups with pgBackRest (see BackupTopology
 * in types.ts for what each key means). `archive: false` needs nothing else.
 */
const calendar = text(/^[^\n'"\\]{1,100}$/, 'must be a systemd OnCalendar= expression such as "Sun *-*-* 01:30:00"');
const NODE_NAME = /^[a-z][a-z0-9_]{0,40}$/;

export const backupSchema = z
  .strictObject(
    {
      archive: z.boolean({ error: 'must be true or false' }).default(true),
      stanza: text(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, - or _ (a pgBackRest stanza name)').default('voipdb'),
      configFile: absolutePath.default('/etc/pgbackrest/pgbackrest.conf'),
      repository: z
        .strictObject(
          {
            path: absolutePath.default('/var/lib/pgbackrest'),
            retentionFull: z
              .int({ error: 'must be a whole number from 1 to 99' })
              .min(1, { error: 'must be a whole number from 1 to 99' })
              .max(99, { error: 'must be a whole number from 1 to 99' })
              .default(2),
          },
          mapping,
        )
        .prefault({}),
      dataDirectory: z
        .union([absolutePath, z.record(text(NODE_NAME, 'must be a node name'), absolutePath)], {
          error: 'must be an absolute path, or a mapping of node name to absolute path',
        })
        .default('/var/lib/postgresql/18/main'),
      socketDirectory: absolutePath.optional(),
      archiveTimeoutSeconds: z
        .int({ error: 'must be a whole number of seconds from 1 to 3600' })
        .min(1, { error: 'must be a whole number of seconds from 1 to 3600' })
        .max(3600, { error: 'must be a whole number of seconds from 1 to 3600' })
        .default(60),
      schedule: z
        .strictObject(
          {
            full: calendar.default('Sun *-*-* 01:30:00'),
            differential: calendar.default('Mon..Sat *-*-* 01:30:00'),
          },
          mapping,
        )
        .prefault({}),
    },
    mapping,
  )
  .optional();

/** A per-node dataDirectory must name exactly the topology's nodes. */
export function backupProblems(raw: Record<string, unknown>): string[] {
  const backup = raw.backup as Record<string, unknown> | undefined;
  const dirs = backup?.dataDirectory;
  if (typeof dirs !== 'object' || dirs === null || Array.isArray(dirs)) return [];
  const names = (Array.isArray(raw.nodes) ? raw.nodes : [])
    .map((n) => (typeof n === 'object' && n !== null ? (n as Record<string, unknown>).name : undefined))
    .filter((n): n is string => typeof n === 'string');
  const given = Object.keys(dirs);
  return [
    ...names.filter((n) => !given.includes(n)).map((n) => `backup.dataDirectory has no path for node ${n}`),
    ...given.filter((n) => !names.includes(n)).map((n) => `backup.dataDirectory names ${n}, which is not a node of the topology`),
  ];
}

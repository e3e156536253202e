import type { StatusRun } from '../engine/operations.js';
import { migrationLabel } from '../engine/migration-label.js';
import type { Check } from './severity.js';

/**
 * Pending migrations are a WARNING (the schema is behind the code that expects it); an applied
 * migration whose file changed or vanished is CRITICAL: the history no longer says what the
 * schema is, and `db migrate` refuses to run until it is fixed.
 */
export function evaluateMigrations(status: Pick<StatusRun, 'applied' | 'pending'> & { node: Pick<StatusRun['node'], 'role'> }): Check[] {
  const changed = status.applied.filter((a) => a.fileChanged);
  const missing = status.applied.filter((a) => a.fileMissing);
  const checks: Check[] = [];
  checks.push(
    status.pending.length === 0
      ? {
          id: 'migrations.pending',
          severity: 'ok',
          summary: `${status.applied.length} migration(s) applied, none pending`,
          data: { applied: status.applied.length, pending: [] },
        }
      : {
          id: 'migrations.pending',
          severity: 'warning',
          summary: `${status.pending.length} migration(s) pending: ${status.pending.map(migrationLabel).join(', ')}; run \`db migrate\` on the primary${status.node.role === 'standby' ? ' (replication brings them here)' : ''}`,
          data: { applied: status.applied.length, pending: status.pending.map(migrationLabel) },
        },
  );
  checks.push(
    changed.length === 0 && missing.length === 0
      ? {
          id: 'migrations.checksums',
          severity: 'ok',
          summary: 'every applied migration matches its file',
          data: { changed: [], missing: [] },
        }
      : {
          id: 'migrations.checksums',
          severity: 'critical',
          summary: `${[
            changed.length > 0 ? `changed after they were applied: ${changed.map(migrationLabel).join(', ')}` : '',
            missing.length > 0 ? `applied but missing from the folder: ${missing.map(migrationLabel).join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; ')}; restore the files from version control`,
          data: { changed: changed.map(migrationLabel), missing: missing.map(migrationLabel) },
        },
  );
  return checks;
}

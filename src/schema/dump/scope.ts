import type { Catalog } from './catalog-rows.js';

/**
 * Partitions made by a maintenance function for the months around the day it runs
 * (voip.cdr_ensure_partitions(), called after `db migrate`, by `db partitions` and the seeds).
 * They depend on the date, not on the migrations, so schema.sql leaves them out: otherwise the
 * committed file would go stale every month and every live database would show drift.
 * A partition with any other name is schema and is dumped.
 */
export const MAINTAINED_PARTITIONS: ReadonlyArray<{ parent: string; name: RegExp }> = [{ parent: 'voip.cdr', name: /^voip\.cdr_\d{6}$/ }];

export function isMaintainedPartition(name: string, parent: string | null): boolean {
  return MAINTAINED_PARTITIONS.some((p) => p.parent === parent && p.name.test(name));
}

/** Removes the maintained partitions and everything that hangs off them from a catalog. */
export function withoutMaintainedPartitions(c: Catalog): Catalog {
  const dropped = c.tables.filter((t) => isMaintainedPartition(t.name, t.parent));
  if (dropped.length === 0) return c;
  const oids = new Set(dropped.map((t) => t.oid));
  const names = new Set(dropped.map((t) => t.name));
  const onDropped = (identity: string): boolean =>
    [...names].some((n) => identity === n || identity.startsWith(`${n}.`) || identity.endsWith(` on ${n}`));
  return {
    ...c,
    tables: c.tables.filter((t) => !oids.has(t.oid)),
    columns: c.columns.filter((x) => !oids.has(x.table_oid)),
    constraints: c.constraints.filter((x) => !oids.has(x.table_oid)),
    indexes: c.indexes.filter((x) => !names.has(x.table_name)),
    triggers: c.triggers.filter((x) => !names.has(x.table_name)),
    policies: c.policies.filter((x) => !names.has(x.table_name)),
    comments: c.comments.filter((x) => !onDropped(x.identity)),
    privileges: c.privileges.filter((x) => !(x.kind === 'TABLE' && names.has(x.target))),
    columnPrivileges: c.columnPrivileges.filter((x) => !names.has(x.target)),
  };
}

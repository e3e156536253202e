/**
 * Which pgBackRest a PostgreSQL major needs. pgBackRest checks the server's exact control and
 * catalog versions, so an older pgBackRest refuses a newer server outright ("unexpected control
 * version"): archive-push then fails on every segment and WAL piles up in pg_wal.
 *
 * Known: 2.45 (Debian 12) supports PostgreSQL up to 15; PostgreSQL 18 needs 2.57.0 (2025-10-18).
 * For 16 and 17 only the lower bound "newer than 2.45" is known here, so a pgBackRest between 2.46
 * and 2.56 is not judged against them.
 */
const MINIMUM: { fromMajor: number; version: string }[] = [
  { fromMajor: 18, version: '2.57' },
  { fromMajor: 16, version: '2.46' },
];

/** The oldest pgBackRest known to work with this PostgreSQL major, if a bound is known. */
export function minimumPgbackrestFor(pgMajor: number): string | undefined {
  return MINIMUM.find((m) => pgMajor >= m.fromMajor)?.version;
}

/** "2.45" < "2.57.0": numeric, part by part. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A problem sentence when `installed` is too old for the server, else undefined. */
export function pgbackrestTooOld(installed: string, pgMajor: number): string | undefined {
  const needed = minimumPgbackrestFor(pgMajor);
  if (needed === undefined || compareVersions(installed, needed) >= 0) return undefined;
  return `pgBackRest ${installed} does not support PostgreSQL ${pgMajor}: it needs pgBackRest ${needed} or newer`;
}

/**
 * Query texts of the hot paths that are sent as named prepared statements: PostgreSQL then
 * plans them once per connection instead of on every call (for the directory lookup, planning
 * the view's join cost three times its execution). Only texts registered here are prepared, so
 * a connection holds a handful of statements, never one per ad-hoc query.
 */
const names = new Map<string, string>();

export function preparedName(sql: string): string | undefined {
  return names.get(sql);
}

/** Registers a constant query text (compiled from a Kysely builder) under a readable name. */
export function prepareText(sql: string, label: string): void {
  if (!names.has(sql)) names.set(sql, `voipdb_${label}_${names.size + 1}`);
}

/**
 * A migration that changes a prepared statement's result columns makes PostgreSQL refuse the
 * cached plan (0A000 "cached plan must not change result type"); the text is then sent
 * unprepared from now on instead of failing the service.
 */
export function isStalePreparedPlan(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}

export function forgetPrepared(sql: string): void {
  names.delete(sql);
}

import { formatPatch, structuredPatch } from 'diff';

/**
 * A line-based unified diff (the `diff` package): `db check` shows what differs between a
 * committed file and a fresh one, `--- expected` / `+++ actual` and hunks with `context` lines
 * around each change. A missing newline at the end of either text is shown as diff(1) shows it.
 */
export function unifiedDiff(expected: string, actual: string, labels: { expected: string; actual: string }, context = 3): string {
  if (expected === actual) return '';
  const patch = structuredPatch(labels.expected, labels.actual, expected, actual, undefined, undefined, { context });
  return formatPatch(patch, { includeIndex: false, includeUnderline: false, includeFileHeaders: true });
}

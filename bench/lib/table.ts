import type { Figure } from './figure.js';
import type { Machine } from './machine.js';

function num(value: number | null, unit?: Figure['unit']): string {
  if (value === null) return '-';
  if (unit === 'ms') return value < 100 ? value.toFixed(1) : Math.round(value).toString();
  if (unit === 'MB') return value.toFixed(2);
  if (unit === 'count') return String(value);
  return value >= 100 ? Math.round(value).toString() : value.toFixed(1);
}

function verdict(f: Figure): string {
  if (f.target === null) return '';
  return `${f.target.op} ${f.target.ratio} ${f.met ? 'ok' : 'MISSED'}`;
}

/** The results as a plain-text table (for the terminal and the README). */
export function renderTable(machine: Machine, settings: string, figures: readonly Figure[]): string {
  const head = ['#', 'measured', 'median', 'unit', 'floor', 'floor median', 'ratio', 'target'];
  const rows = figures.map((f) => [
    f.id,
    f.what,
    num(f.value, f.unit),
    f.unit,
    f.floorWhat,
    num(f.floor, f.unit),
    f.ratio === null ? '-' : f.ratio.toFixed(2),
    verdict(f),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 2 || i === 5 || i === 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(' | ')
      .trimEnd();
  const notes = figures.filter((f) => f.note).map((f) => `  ${f.id}: ${f.note}`);
  return [
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}`,
    `software: Node ${machine.node}, PostgreSQL ${machine.postgres}, ${machine.psql}, ${machine.pgbench}`,
    `server: ${settings}`,
    '',
    line(head),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
    ...(notes.length > 0 ? ['', 'notes:', ...notes] : []),
  ].join('\n');
}

import type pg from 'pg';
import { copyFrom as copyStatement } from '../../src/database/copy-from.js';

/** Runs `COPY <target> FROM STDIN` with `data` (text format); resolves to the rows copied. The floors of the ingest figures. */
export function copyFrom(client: pg.Client, target: string, data: string): Promise<number> {
  return copyStatement(client, `COPY ${target} FROM STDIN`, data);
}

/** One line of COPY's text format; null becomes \N. Our values hold no tab, newline or backslash. */
export function copyLine(values: readonly unknown[]): string {
  return `${values.map((v) => (v === null || v === undefined ? '\\N' : v instanceof Date ? v.toISOString() : String(v))).join('\t')}\n`;
}

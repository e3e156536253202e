import type { Env } from '../config/connection.js';

/** What a command may touch of the outside world; main.ts builds it from the process. */
export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Env;
  cwd: string;
  color: boolean;
  verbose: boolean;
}

/** Colours only on a TTY, and never with NO_COLOR set (https://no-color.org). */
export function colorEnabled(stream: { isTTY?: boolean }, env: Env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function paint(io: Pick<CliIO, 'color'>, code: 'red' | 'green' | 'yellow' | 'dim' | 'bold', text: string): string {
  if (!io.color) return text;
  const codes = { red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22], bold: [1, 22] }[code];
  return `\u001b[${codes[0]}m${text}\u001b[${codes[1]}m`;
}

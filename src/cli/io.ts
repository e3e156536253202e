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

/** The streams a process writes to; a test passes fakes. */
interface OutputStream {
  write(text: string): unknown;
  on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
}

/**
 * CliIO over the process's stdout and stderr. A reader that goes away (`db status | head -1`)
 * closes the pipe: the next write fails with EPIPE, emitted as an 'error' event that would end
 * the process with a stack trace. Instead that stream is marked closed and written no more,
 * and the command carries on to its end, as git and psql stop output quietly: a migration in
 * flight still commits or rolls back as a whole, it is never cut off between two statements.
 */
export function processIO(proc: {
  stdout: OutputStream & { isTTY?: boolean };
  stderr: OutputStream & { isTTY?: boolean };
  env: Env;
  cwd: () => string;
  argv: string[];
}): CliIO {
  const guarded = (stream: OutputStream): ((line: string) => void) => {
    let closed = false;
    stream.on('error', (error) => {
      // A closed reader (EPIPE), or writes after it (ERR_STREAM_DESTROYED): output ends here.
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') closed = true;
      else throw error;
    });
    return (line) => {
      if (!closed) stream.write(`${line}\n`);
    };
  };
  return {
    out: guarded(proc.stdout),
    err: guarded(proc.stderr),
    env: proc.env,
    cwd: proc.cwd(),
    color: colorEnabled(proc.stderr, proc.env),
    verbose: proc.argv.includes('--verbose'),
  };
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

import { Command, CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import type { CliIO } from '../../src/cli/io.js';
import type { Register } from '../../src/cli/options.js';
import { renderError } from '../../src/cli/render-error.js';

export interface InProcessRun {
  /** The exit code the command returned, or its error's; -1 when commander refused the arguments. */
  code: number;
  out: string[];
  err: string[];
}

/**
 * Runs `db <args>` through the named commands' own commander registration, in this process.
 * For tests that call a command many times (the built CLI, runCli, costs a Node start per call)
 * or that want its lines one by one. A command's error is rendered as main.ts renders it. When
 * commander itself refuses the arguments the command never ran: `code` stays -1, which no test
 * expects, and commander's message is in `err`.
 */
export async function runInProcess(
  register: Register | Register[],
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<InProcessRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    color: false,
    verbose: false,
  };
  let code = -1;
  const run = async (fn: () => Promise<number>): Promise<void> => {
    try {
      code = await fn();
    } catch (error) {
      code = renderError(error, io);
    }
  };
  const program = new Command('db');
  for (const r of Array.isArray(register) ? register : [register]) r(program, io, run);
  const capture = (command: CommandUnknownOpts): void => {
    command.exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
    for (const sub of command.commands) capture(sub);
  };
  capture(program);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    err.push(String(error));
  }
  return { code, out, err };
}

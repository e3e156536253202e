import { ExitCode, isVoipdbError, toVoipdbError } from '../errors.js';
import { missingOptionalPackage } from '../optional-package.js';
import { paint, type CliIO } from './io.js';

/**
 * `error[CODE]: message`, the details, then `hint: …`. No stack unless --verbose. Returns the
 * exit code. A raw PostgreSQL error is shown as a DatabaseError (its SQLSTATE, detail and hint);
 * anything else is a bug: exit 3 with its message only.
 */
export function renderError(raw: unknown, io: CliIO): number {
  // A module loaded on demand (a command's own, or one it imports) that reaches a missing optional
  // package: the same one-line usage error as loadOptional() gives. A raw server error becomes a DatabaseError.
  const error = missingOptionalPackage(raw, 'this command') ?? toVoipdbError(raw);
  if (isVoipdbError(error)) {
    io.err(`${paint(io, 'red', `error[${error.code}]`)}: ${error.message}`);
    for (const line of error.details()) io.err(`  ${line}`);
    io.err(`${paint(io, 'dim', 'hint')}: ${error.hint}`);
    if (io.verbose && error.stack) io.err(error.stack);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.err(`${paint(io, 'red', 'error[INTERNAL]')}: ${message.split('\n')[0]}`);
  io.err(`${paint(io, 'dim', 'hint')}: run again with --verbose for the stack trace, and report it`);
  if (io.verbose && error instanceof Error && error.stack) io.err(error.stack);
  return ExitCode.database;
}

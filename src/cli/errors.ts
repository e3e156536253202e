import { ExitCode, failure } from '../errors.js';

/**
 * The command line itself is wrong, as the argument parser (commander) found it (exit 2):
 * commander's own refusals (unknown option, missing value, …). The class's code is the family,
 * COMMAND_LINE, as ConnectionFailedError's is CONNECTION_FAILED; each instance carries the
 * specific reason commander gave as its printed code, which scripts may match.
 */
export class CommandLineError extends failure('COMMAND_LINE', ExitCode.usage) {
  constructor(
    override readonly code:
      | 'UNKNOWN_OPTION'
      | 'UNKNOWN_COMMAND'
      | 'MISSING_VALUE'
      | 'MISSING_ARGUMENT'
      | 'MISSING_OPTION'
      | 'INVALID_CHOICE'
      | 'TOO_MANY_ARGUMENTS'
      | 'CONFLICTING_OPTIONS'
      | 'COMMAND_LINE_INVALID',
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

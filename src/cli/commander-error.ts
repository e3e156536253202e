import type { CommanderError } from '@commander-js/extra-typings';
import { CommandLineError } from './errors.js';

const CODES: Record<string, ConstructorParameters<typeof CommandLineError>[0]> = {
  'commander.unknownOption': 'UNKNOWN_OPTION',
  'commander.unknownCommand': 'UNKNOWN_COMMAND',
  'commander.optionMissingArgument': 'MISSING_VALUE',
  'commander.missingArgument': 'MISSING_ARGUMENT',
  'commander.missingMandatoryOptionValue': 'MISSING_OPTION',
  'commander.invalidArgument': 'INVALID_CHOICE',
  'commander.excessArguments': 'TOO_MANY_ARGUMENTS',
  'commander.conflictingOption': 'CONFLICTING_OPTIONS',
};

/** Help and version end with a CommanderError too, but they are not failures. */
export function isCommanderInfo(error: CommanderError): boolean {
  return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
}

/**
 * commander's refusal in the shape of every other error (`error[CODE]: …` then `hint: …`, exit 2).
 * Its message keeps commander's own wording and "(Did you mean …?)" suggestion, without the
 * leading "error: ". `command` is the full command that refused it ("db migrate").
 */
export function commandLineError(error: CommanderError, command: string): CommandLineError {
  const code = CODES[error.code] ?? 'COMMAND_LINE_INVALID';
  const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
  const hint = code === 'UNKNOWN_COMMAND' ? 'run `db --help` for the commands' : `run \`${command} --help\` for what it takes`;
  return new CommandLineError(code, message, hint);
}

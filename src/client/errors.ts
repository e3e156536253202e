import { ExitCode, VoipdbError } from '../errors.js';

/** Where a wrong value was found: the field's path and, in a batch, the item's index. */
export interface InputProblem {
  /** Index of the item in the batch (ingestCdrs); undefined for single-value calls. */
  index?: number;
  /** The input field as the caller spells it (`startStamp`, `domain`). */
  field: string;
  /** What is wrong, e.g. "must be a Date, got string". */
  problem: string;
}

/**
 * A client function was called with a value its types rule out or the schema would refuse
 * (typically from JavaScript, or from data parsed off the wire): nothing was sent to the server,
 * and in a batch nothing of the batch was written. Not retryable: the same input fails again.
 */
export class ClientInputInvalidError extends VoipdbError {
  readonly code = 'CLIENT_INPUT_INVALID';
  readonly exitCode = ExitCode.usage;
  readonly retryable = false;
  /** The first problem's field and batch index, for callers that answer per item. */
  readonly field: string;
  readonly index: number | undefined;

  constructor(
    readonly operation: string,
    readonly problems: readonly InputProblem[],
  ) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    super(
      `${operation}: ${describe(first)}${more}; nothing was written`,
      'fix the value named above in the caller (the types of the voipdb client say what each field takes)',
    );
    this.field = first.field;
    this.index = first.index;
  }

  override details(): string[] {
    return this.problems.length > 1 ? this.problems.map((p) => `- ${describe(p)}`) : [];
  }
}

function describe(p: InputProblem): string {
  return `${p.index === undefined ? '' : `item ${p.index}: `}${p.field} ${p.problem}`;
}

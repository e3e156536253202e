import { ExitCode, failure } from '../errors.js';

/** Adopting a database `kamdbctl create` made. */

/**
 * The database holds Kamailio's tables outside schema `kamailio` (what `kamdbctl create` makes)
 * and voipdb has no history there: migrating would build a second, empty kamailio schema that
 * the role's search_path then prefers. Refused before anything is written.
 */
export class KamailioNotAdoptedError extends failure('KAMAILIO_NOT_ADOPTED', ExitCode.refused) {
  constructor(
    readonly action: string,
    readonly found: ReadonlyArray<{ schema: string; tables: string[] }>,
  ) {
    const first = found[0]!;
    super(
      `refusing to ${action}: this database already holds Kamailio tables outside schema kamailio (${found
        .map((f) => `${f.tables.length} in schema ${f.schema}`)
        .join(', ')}) and no voipdb history; migrating would build a second, empty kamailio schema; nothing was written`,
      `take a pg_dump, then run \`db adopt${first.schema === 'public' ? '' : ` --from-schema ${first.schema}`} --dry-run\` to see the plan and \`db adopt${first.schema === 'public' ? '' : ` --from-schema ${first.schema}`}\` to move them into voipdb's layout`,
    );
  }
  override details(): string[] {
    return this.found.map((f) => `- schema ${f.schema}: ${f.tables.join(', ')}`);
  }
}

/** `db adopt` found something it cannot bring to voipdb's layout safely; nothing was changed. */
export class AdoptRefusedError extends failure('ADOPT_REFUSED', ExitCode.database) {
  constructor(
    message: string,
    readonly problems: string[],
    hint: string,
  ) {
    super(message, hint);
  }
  override details(): string[] {
    return this.problems.map((p) => `- ${p}`);
  }
}

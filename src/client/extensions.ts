import type { Kysely } from 'kysely';
import type { DB } from '../generated/db.js';
import { computeDigestHashes } from '../voip/credentials.js';
import { ClientInputInvalidError, type InputProblem } from './errors.js';
import { checkFields, nonEmptyString } from './input-checks.js';

export interface ExtensionPassword {
  /** The SIP domain (lower case, as stored in voip.domains). */
  domain: string;
  extension: string;
  password: string;
}

/**
 * Sets an extension's SIP password as its digest hashes (the shared computeDigestHashes; the
 * password itself is never sent to the server). The triggers of migration 0005 update
 * kamailio.subscriber in the same statement. Returns false when there is no such extension.
 */
export async function setExtensionPassword(db: Kysely<DB>, input: ExtensionPassword): Promise<boolean> {
  const problems: InputProblem[] = [];
  checkFields(input, { domain: nonEmptyString, extension: nonEmptyString, password: nonEmptyString }, problems);
  if (problems.length > 0) throw new ClientInputInvalidError('setExtensionPassword', problems);
  const { ha1, ha1b } = computeDigestHashes({ username: input.extension, domain: input.domain, password: input.password });
  const result = await db
    .updateTable('voip.extensions as e')
    .from('voip.domains as d')
    .set({ ha1, ha1b })
    .whereRef('d.id', '=', 'e.domain_id')
    .where('d.name', '=', input.domain)
    .where('e.extension', '=', input.extension)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

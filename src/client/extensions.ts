import { type Kysely, sql } from 'kysely';
import { VoipDomainNotFoundError } from './errors.js';
import type { DB } from '../generated/db.js';
import { computeDigestHashes } from '../voip/credentials.js';
import { ClientInputInvalidError, type InputProblem } from './errors.js';
import { type Check, checkFields, nonEmptyString, optional, text } from './input-checks.js';

/**
 * Credential writes for VoIP Admin: passwords and PINs go in, only their digest hashes are sent
 * (the shared computeDigestHashes); the triggers of migration 0005 bring kamailio.subscriber
 * along in the same statement.
 */
export interface ExtensionPassword {
  /** The SIP domain (lower case, as stored in voip.domains). */
  domain: string;
  extension: string;
  password: string;
}

export interface NewExtension {
  /** An existing SIP domain (lower case, as stored in voip.domains). */
  domain: string;
  extension: string;
  password: string;
  /** Stored as FreeSWITCH's vm-a1-hash, never as the PIN. */
  voicemailPin?: string;
  enabled?: boolean;
  displayName?: string;
  userContext?: string;
  effectiveCallerIdName?: string;
  effectiveCallerIdNumber?: string;
  accountcode?: string;
  tollAllow?: string[];
  callGroup?: string;
  vmMailto?: string;
}

const IDENTITY_CHECKS = { domain: nonEmptyString, extension: nonEmptyString };

const NEW_EXTENSION_CHECKS: Readonly<Record<keyof NewExtension, Check>> = {
  ...IDENTITY_CHECKS,
  password: nonEmptyString,
  voicemailPin: optional(nonEmptyString),
  enabled: optional((v) => (typeof v === 'boolean' ? undefined : 'must be true or false')),
  displayName: optional(text()),
  userContext: optional(nonEmptyString),
  effectiveCallerIdName: optional(text()),
  effectiveCallerIdNumber: optional(text()),
  accountcode: optional(text()),
  tollAllow: optional((v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? undefined : 'must be an array of strings')),
  callGroup: optional(text()),
  vmMailto: optional(text()),
};

function assertInput(operation: string, input: unknown, checks: Readonly<Record<string, Check>>): void {
  const problems: InputProblem[] = [];
  checkFields(input, checks, problems);
  if (problems.length > 0) throw new ClientInputInvalidError(operation, problems);
}

/** Creates an extension in an existing domain; returns its id. Throws VoipDomainNotFoundError for an unknown domain. */
export async function createExtension(db: Kysely<DB>, x: NewExtension): Promise<number> {
  assertInput('createExtension', x, NEW_EXTENSION_CHECKS);
  const { ha1, ha1b } = computeDigestHashes({ username: x.extension, domain: x.domain, password: x.password });
  const vmHash =
    x.voicemailPin === undefined ? null : computeDigestHashes({ username: x.extension, domain: x.domain, password: x.voicemailPin }).ha1;
  const row = await db
    .insertInto('voip.extensions')
    .columns([
      'domain_id',
      'extension',
      'ha1',
      'ha1b',
      'vm_a1_hash',
      'enabled',
      'display_name',
      'user_context',
      'effective_caller_id_name',
      'effective_caller_id_number',
      'accountcode',
      'toll_allow',
      'call_group',
      'vm_mailto',
    ])
    .expression((eb) =>
      eb
        .selectFrom('voip.domains as d')
        .select([
          'd.id',
          eb.val(x.extension).as('extension'),
          eb.val(ha1).as('ha1'),
          eb.val(ha1b).as('ha1b'),
          eb.val(vmHash).as('vm_a1_hash'),
          eb.val(x.enabled ?? true).as('enabled'),
          eb.val(x.displayName ?? null).as('display_name'),
          eb.val(x.userContext ?? 'default').as('user_context'),
          eb.val(x.effectiveCallerIdName ?? null).as('effective_caller_id_name'),
          eb.val(x.effectiveCallerIdNumber ?? null).as('effective_caller_id_number'),
          eb.val(x.accountcode ?? null).as('accountcode'),
          eb.cast<string[]>(eb.val(x.tollAllow ?? []), sql`text[]`).as('toll_allow'),
          eb.val(x.callGroup ?? null).as('call_group'),
          eb.val(x.vmMailto ?? null).as('vm_mailto'),
        ])
        .where('d.name', '=', x.domain),
    )
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new VoipDomainNotFoundError(x.domain);
  return Number(row.id);
}

/**
 * Sets an extension's SIP password as its digest hashes (the password itself is never sent to
 * the server). Returns false when there is no such extension.
 */
export async function setExtensionPassword(db: Kysely<DB>, input: ExtensionPassword): Promise<boolean> {
  assertInput('setExtensionPassword', input, { ...IDENTITY_CHECKS, password: nonEmptyString });
  const { ha1, ha1b } = computeDigestHashes({ username: input.extension, domain: input.domain, password: input.password });
  return updateExtension(db, input, { ha1, ha1b });
}

export interface VoicemailPin {
  domain: string;
  extension: string;
  pin: string;
}

/** Sets the voicemail PIN (stored as FreeSWITCH's vm-a1-hash); returns false when there is no such extension. */
export async function setVoicemailPin(db: Kysely<DB>, input: VoicemailPin): Promise<boolean> {
  assertInput('setVoicemailPin', input, { ...IDENTITY_CHECKS, pin: nonEmptyString });
  const { ha1 } = computeDigestHashes({ username: input.extension, domain: input.domain, password: input.pin });
  return updateExtension(db, input, { vm_a1_hash: ha1 });
}

async function updateExtension(
  db: Kysely<DB>,
  at: { domain: string; extension: string },
  set: { ha1?: string; ha1b?: string; vm_a1_hash?: string },
): Promise<boolean> {
  const result = await db
    .updateTable('voip.extensions as e')
    .from('voip.domains as d')
    .set(set)
    .whereRef('d.id', '=', 'e.domain_id')
    .where('d.name', '=', at.domain)
    .where('e.extension', '=', at.extension)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

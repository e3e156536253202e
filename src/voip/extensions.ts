import type pg from 'pg';
import { VoipDomainNotFoundError } from '../errors.js';
import { computeDigestHashes } from './credentials.js';

/**
 * Credential writes for VoIP Admin and the CLI. Passwords go in, hashes are stored (through the
 * shared computeDigestHashes); the triggers of migration 0005 bring kamailio.subscriber along in
 * the same transaction.
 */
export interface NewExtension {
  domain: string;
  extension: string;
  password: string;
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

/** Creates an extension in an existing domain; returns its id. */
export async function createExtension(client: pg.ClientBase, x: NewExtension): Promise<number> {
  const { ha1, ha1b } = computeDigestHashes({ username: x.extension, domain: x.domain, password: x.password });
  const vmHash =
    x.voicemailPin === undefined ? null : computeDigestHashes({ username: x.extension, domain: x.domain, password: x.voicemailPin }).ha1;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO voip.extensions (domain_id, extension, ha1, ha1b, vm_a1_hash, enabled, display_name, user_context,
                                  effective_caller_id_name, effective_caller_id_number, accountcode, toll_allow,
                                  call_group, vm_mailto)
     SELECT d.id, $2, $3, $4, $5, coalesce($6, true), $7, coalesce($8, 'default'), $9, $10, $11,
            coalesce($12::text[], '{}'), $13, $14
       FROM voip.domains d WHERE d.name = $1
     RETURNING id`,
    [
      x.domain,
      x.extension,
      ha1,
      ha1b,
      vmHash,
      x.enabled ?? null,
      x.displayName ?? null,
      x.userContext ?? null,
      x.effectiveCallerIdName ?? null,
      x.effectiveCallerIdNumber ?? null,
      x.accountcode ?? null,
      x.tollAllow ?? null,
      x.callGroup ?? null,
      x.vmMailto ?? null,
    ],
  );
  if (rows.length === 0) throw new VoipDomainNotFoundError(x.domain);
  return Number(rows[0]!.id);
}

/** Sets (or, after a domain rename, restores) an extension's SIP password; returns false if there is no such extension. */
export async function setExtensionPassword(client: pg.ClientBase, domain: string, extension: string, password: string): Promise<boolean> {
  const { ha1, ha1b } = computeDigestHashes({ username: extension, domain, password });
  const result = await client.query(
    `UPDATE voip.extensions e SET ha1 = $3, ha1b = $4
       FROM voip.domains d WHERE d.id = e.domain_id AND d.name = $1 AND e.extension = $2`,
    [domain, extension, ha1, ha1b],
  );
  return result.rowCount === 1;
}

/** Sets the voicemail PIN (stored as FreeSWITCH's vm-a1-hash); returns false if there is no such extension. */
export async function setVoicemailPin(client: pg.ClientBase, domain: string, extension: string, pin: string): Promise<boolean> {
  const { ha1 } = computeDigestHashes({ username: extension, domain, password: pin });
  const result = await client.query(
    `UPDATE voip.extensions e SET vm_a1_hash = $3
       FROM voip.domains d WHERE d.id = e.domain_id AND d.name = $1 AND e.extension = $2`,
    [domain, extension, ha1],
  );
  return result.rowCount === 1;
}

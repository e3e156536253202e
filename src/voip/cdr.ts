import type pg from 'pg';
import { CdrPartitionMissingError } from '../errors.js';
import type { CdrRow } from './cdr-row.js';

export type { CdrRow } from './cdr-row.js';

// Constant statement: the ON CONFLICT target is the primary key, so a replay is a no-op.
const INSERT_CDR = `
INSERT INTO voip.cdr (
  uuid, start_stamp, answer_stamp, end_stamp, duration, billsec, leg, direction,
  call_uuid, bridge_uuid, originating_leg_uuid, domain_id, domain_name, extension_id, accountcode,
  caller_id_name, caller_id_number, destination_number, context,
  hangup_cause, hangup_cause_q850, sip_hangup_disposition, sip_call_id,
  read_codec, write_codec, network_addr, cc_queue, cc_agent, cc_side, switchname, core_uuid)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
        $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
ON CONFLICT (uuid, start_stamp) DO NOTHING`;

/**
 * Stores one CDR idempotently: `inserted` is false when the same (uuid, start_stamp) was
 * already there (a retried post), which the service answers with 2xx as well.
 * Throws CdrPartitionMissingError when no partition covers startStamp.
 */
export async function insertCdr(client: pg.ClientBase, cdr: CdrRow): Promise<{ inserted: boolean }> {
  try {
    const result = await client.query(INSERT_CDR, [
      cdr.uuid,
      cdr.startStamp,
      cdr.answerStamp ?? null,
      cdr.endStamp,
      cdr.duration,
      cdr.billsec,
      cdr.leg,
      cdr.direction,
      cdr.callUuid ?? null,
      cdr.bridgeUuid ?? null,
      cdr.originatingLegUuid ?? null,
      cdr.domainId ?? null,
      cdr.domainName ?? null,
      cdr.extensionId ?? null,
      cdr.accountcode ?? null,
      cdr.callerIdName ?? null,
      cdr.callerIdNumber ?? null,
      cdr.destinationNumber ?? null,
      cdr.context ?? null,
      cdr.hangupCause ?? null,
      cdr.hangupCauseQ850 ?? null,
      cdr.sipHangupDisposition ?? null,
      cdr.sipCallId ?? null,
      cdr.readCodec ?? null,
      cdr.writeCodec ?? null,
      cdr.networkAddr ?? null,
      cdr.ccQueue ?? null,
      cdr.ccAgent ?? null,
      cdr.ccSide ?? null,
      cdr.switchname ?? null,
      cdr.coreUuid ?? null,
    ]);
    return { inserted: result.rowCount === 1 };
  } catch (error) {
    throw toCdrError(error, cdr.startStamp);
  }
}

/**
 * Maps the server's "no partition of relation "cdr" found for row" (SQLSTATE 23514, which is also
 * the code of an ordinary CHECK violation; that one always names its constraint, this one never
 * does) to CdrPartitionMissingError; returns any other error unchanged. For services that write
 * CDRs with their own queries.
 */
export function toCdrError(error: unknown, startStamp?: Date): unknown {
  if (isMissingPartitionError(error)) return new CdrPartitionMissingError(startStamp, error);
  return error;
}

export function isMissingPartitionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; constraint?: unknown; schema?: unknown; table?: unknown };
  if (e?.code !== '23514' || e.constraint !== undefined) return false;
  // The server names the partitioned table in the error fields (locale-independent); the
  // message is the fallback for drivers that drop them.
  return (
    (e.schema === 'voip' && e.table === 'cdr') ||
    (typeof e.message === 'string' && /^no partition of relation "cdr" found for row/.test(e.message))
  );
}

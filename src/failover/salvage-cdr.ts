import type { CdrRow } from '../voip/cdr-row.js';

/**
 * A voip.cdr row as to_jsonb() renders it (snake_case keys, timestamps as ISO text) back into
 * the CdrRow the client's ingest takes, so a salvaged CDR goes through the same checks and the
 * same idempotent insert as one FreeSWITCH posts. received_at is not carried over: the new
 * primary stamps when it received the CDR.
 */
export function cdrRowFromRecord(r: Record<string, unknown>): CdrRow {
  const text = (key: string): string | null => (r[key] === null || r[key] === undefined ? null : String(r[key]));
  const date = (key: string): Date | null => (r[key] === null || r[key] === undefined ? null : new Date(String(r[key])));
  const int = (key: string): number | null => (r[key] === null || r[key] === undefined ? null : Number(r[key]));
  return {
    uuid: String(r.uuid),
    startStamp: date('start_stamp')!,
    answerStamp: date('answer_stamp'),
    endStamp: date('end_stamp')!,
    duration: Number(r.duration),
    billsec: Number(r.billsec),
    leg: String(r.leg).trim() as CdrRow['leg'],
    direction: String(r.direction) as CdrRow['direction'],
    callUuid: text('call_uuid'),
    bridgeUuid: text('bridge_uuid'),
    originatingLegUuid: text('originating_leg_uuid'),
    domainId: int('domain_id'),
    domainName: text('domain_name'),
    extensionId: int('extension_id'),
    accountcode: text('accountcode'),
    callerIdName: text('caller_id_name'),
    callerIdNumber: text('caller_id_number'),
    destinationNumber: text('destination_number'),
    context: text('context'),
    hangupCause: text('hangup_cause'),
    hangupCauseQ850: int('hangup_cause_q850'),
    sipHangupDisposition: text('sip_hangup_disposition'),
    sipCallId: text('sip_call_id'),
    readCodec: text('read_codec'),
    writeCodec: text('write_codec'),
    networkAddr: text('network_addr'),
    ccQueue: text('cc_queue'),
    ccAgent: text('cc_agent'),
    ccSide: text('cc_side'),
    switchname: text('switchname'),
    coreUuid: text('core_uuid'),
  };
}

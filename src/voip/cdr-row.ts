/**
 * One call leg as VoIP Admin stores it from a mod_xml_cdr / mod_json_cdr post: what services
 * hand to ingestCdr/ingestCdrs and what the seeds insert. In a module of its own, free of pg's
 * types, because a service installing voipdb has no @types/pg (a devDependency here).
 */
export interface CdrRow {
  uuid: string;
  /** From start_uepoch, so a retried post yields the same key. */
  startStamp: Date;
  answerStamp?: Date | null;
  endStamp: Date;
  duration: number;
  billsec: number;
  leg: 'a' | 'b';
  direction: 'inbound' | 'outbound';
  callUuid?: string | null;
  bridgeUuid?: string | null;
  originatingLegUuid?: string | null;
  domainId?: number | null;
  domainName?: string | null;
  extensionId?: number | null;
  accountcode?: string | null;
  callerIdName?: string | null;
  callerIdNumber?: string | null;
  destinationNumber?: string | null;
  context?: string | null;
  hangupCause?: string | null;
  hangupCauseQ850?: number | null;
  sipHangupDisposition?: string | null;
  sipCallId?: string | null;
  readCodec?: string | null;
  writeCodec?: string | null;
  networkAddr?: string | null;
  ccQueue?: string | null;
  ccAgent?: string | null;
  ccSide?: string | null;
  switchname?: string | null;
  coreUuid?: string | null;
}

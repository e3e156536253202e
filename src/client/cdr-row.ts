/**
 * One call leg as a service hands it to ingestCdr/ingestCdrs (from a mod_xml_cdr / mod_json_cdr
 * post). The same shape as CdrRow of src/voip/cdr.ts (test/client/cdr-row-type.test.ts keeps
 * them equal), declared here because that module's declarations import pg's types, which a
 * service installing voipdb does not have (@types/pg is a devDependency).
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

/**
 * Longest values voip.cdr takes in its indexed text columns (CHECK constraints of migration
 * 0010). ingestCdrs rejects longer values before sending, naming the item; without a bound, a
 * value past btree's row limit (about 2.7 kB) failed the whole batch with SQLSTATE 54000.
 * Each bound is the width Kamailio's own tables give the same SIP value.
 */

/** A SIP Call-ID: Kamailio stores it as varchar(255) (acc.callid, dialog.callid, location.callid). */
export const SIP_CALL_ID_MAX_LENGTH = 255;

/** A caller-ID number is a SIP user part: Kamailio's user names are varchar(64) (subscriber.username, location.username). */
export const CALLER_ID_NUMBER_MAX_LENGTH = 64;

/** The dialled number, also a SIP user part (the request URI's user): varchar(64) as above. */
export const DESTINATION_NUMBER_MAX_LENGTH = 64;

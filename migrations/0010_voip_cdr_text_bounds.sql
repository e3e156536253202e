-- Bounds for the CDR text columns that are btree-indexed. Without them a caller-ID number,
-- dialled number or SIP Call-ID of a few kB fails the whole posted batch with SQLSTATE 54000
-- (index row size exceeds the btree maximum), a failure FreeSWITCH's retries can never get past.
-- The widths are those Kamailio's tables give the same SIP values: a Call-ID is varchar(255)
-- (acc, dialog, location), a user part varchar(64) (subscriber.username, location.username).
-- The client checks the same bounds before sending (src/client/cdr-limits.ts, one constant each)
-- and names the offending CDR; these constraints hold for every other writer.
--
-- CHECK constraints rather than varchar(n): changing the column type would rewrite every
-- partition and rebuild its indexes; validating only reads each partition once. Added NOT VALID,
-- then validated in statements of their own (the form the migration lint asks for). Inside this
-- migration's one transaction the ADD's lock is still held until commit, so CDR inserts wait for
-- that scan: on a platform with years of CDRs, apply it in a quiet hour.
-- length() counts characters, as the client does.

ALTER TABLE voip.cdr
  ADD CONSTRAINT cdr_caller_id_number_length_check CHECK (length(caller_id_number) <= 64) NOT VALID,
  ADD CONSTRAINT cdr_destination_number_length_check CHECK (length(destination_number) <= 64) NOT VALID,
  ADD CONSTRAINT cdr_sip_call_id_length_check CHECK (length(sip_call_id) <= 255) NOT VALID;

ALTER TABLE voip.cdr VALIDATE CONSTRAINT cdr_caller_id_number_length_check;
ALTER TABLE voip.cdr VALIDATE CONSTRAINT cdr_destination_number_length_check;
ALTER TABLE voip.cdr VALIDATE CONSTRAINT cdr_sip_call_id_length_check;

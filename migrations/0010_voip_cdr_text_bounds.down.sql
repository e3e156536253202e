ALTER TABLE voip.cdr
  DROP CONSTRAINT cdr_sip_call_id_length_check,
  DROP CONSTRAINT cdr_destination_number_length_check,
  DROP CONSTRAINT cdr_caller_id_number_length_check;

-- Who may touch the voip schema. Objects stay owned by the migrating user; privileges are listed
-- one by one, never ALL (PostgreSQL 17 added MAINTAIN to ALL, and 15 and 18 must end up equal).
-- Kamailio gets nothing here: it reads credentials from kamailio.subscriber, which the triggers
-- of 0005 keep in sync.

GRANT USAGE ON SCHEMA voip TO voipadmin;

-- VoIP Admin provisions everything and ingests CDRs. No TRUNCATE, REFERENCES or TRIGGER.
GRANT SELECT, INSERT, UPDATE, DELETE ON
  voip.domains, voip.extensions,
  voip.queues, voip.queue_agents, voip.queue_tiers,
  voip.gateways, voip.inbound_numbers,
  voip.cdr
TO voipadmin;
-- It answers directory requests from this view.
GRANT SELECT ON voip.directory_users TO voipadmin;

-- Identity columns draw from these sequences.
GRANT USAGE, SELECT ON SEQUENCE
  voip.domains_id_seq, voip.extensions_id_seq,
  voip.queues_id_seq, voip.queue_agents_id_seq,
  voip.gateways_id_seq, voip.inbound_numbers_id_seq
TO voipadmin;

-- Its background worker premakes CDR partitions and applies retention. These functions are
-- SECURITY DEFINER (they run DDL on voip.cdr, which voipadmin does not own).
GRANT EXECUTE ON FUNCTION
  voip.cdr_create_partition(timestamptz),
  voip.cdr_ensure_partitions(integer, timestamptz),
  voip.cdr_drop_partitions(integer, timestamptz)
TO voipadmin;

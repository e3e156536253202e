REVOKE EXECUTE ON FUNCTION
  voip.cdr_create_partition(timestamptz),
  voip.cdr_ensure_partitions(integer, timestamptz),
  voip.cdr_drop_partitions(integer, timestamptz)
FROM voipadmin;
REVOKE USAGE, SELECT ON SEQUENCE
  voip.domains_id_seq, voip.extensions_id_seq,
  voip.queues_id_seq, voip.queue_agents_id_seq,
  voip.gateways_id_seq, voip.inbound_numbers_id_seq
FROM voipadmin;
REVOKE SELECT ON voip.directory_users FROM voipadmin;
REVOKE SELECT, INSERT, UPDATE, DELETE ON
  voip.domains, voip.extensions,
  voip.queues, voip.queue_agents, voip.queue_tiers,
  voip.gateways, voip.inbound_numbers,
  voip.cdr
FROM voipadmin;
REVOKE USAGE ON SCHEMA voip FROM voipadmin;

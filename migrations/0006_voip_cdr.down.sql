-- Dropping the parent drops every partition with it (and their CDRs).
DROP FUNCTION voip.cdr_drop_partitions(integer, timestamptz);
DROP FUNCTION voip.cdr_ensure_partitions(integer, timestamptz);
DROP FUNCTION voip.cdr_create_partition(timestamptz);
DROP TABLE voip.cdr;

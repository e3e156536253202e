-- Without voip.extensions nothing keeps kamailio.subscriber honest: take the credentials that
-- came from our domains with us, so no orphaned login survives the revert.
DELETE FROM kamailio.subscriber s USING voip.domains d WHERE s.domain = d.name;

DROP TABLE voip.inbound_numbers;
DROP TABLE voip.gateways;
DROP TABLE voip.queue_tiers;
DROP TABLE voip.queue_agents;
DROP TABLE voip.queues;
DROP VIEW voip.directory_users;
DROP TABLE voip.extensions;
DROP TABLE voip.domains;
DROP FUNCTION voip.domains_sync_subscriber();
DROP FUNCTION voip.extensions_truncate_subscriber();
DROP FUNCTION voip.extensions_sync_subscriber();
DROP FUNCTION voip.extensions_before_update();
DROP FUNCTION voip.touch_updated_at();

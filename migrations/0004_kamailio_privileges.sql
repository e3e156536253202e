-- Who may touch the kamailio schema. All objects stay owned by the migrating user (the role that
-- runs `db migrate`): no application role owns anything, so none can ALTER, DROP or re-GRANT.
-- Privileges are listed one by one, never `ALL`: PostgreSQL 17 added MAINTAIN to ALL, and the
-- same migration must give the same grants on 15 and 18 (test/expected/privileges.txt).

GRANT USAGE ON SCHEMA kamailio TO kamailio, voipadmin;

-- ------------------------------------------------------------------ kamailio (the SIP server)
-- Reads and writes its tables: usrloc, dialog, acc, htable, topos... write at run time.
GRANT SELECT, INSERT, UPDATE, DELETE ON
  kamailio.acc, kamailio.acc_cdrs, kamailio.missed_calls,
  kamailio.lcr_gw, kamailio.lcr_rule_target, kamailio.lcr_rule,
  kamailio.domain, kamailio.domain_attrs,
  kamailio.grp, kamailio.re_grp,
  kamailio.trusted, kamailio.address,
  kamailio.aliases, kamailio.location, kamailio.location_attrs,
  kamailio.silo, kamailio.dbaliases, kamailio.uri, kamailio.speed_dial, kamailio.usr_preferences,
  kamailio.pdt,
  kamailio.dialog, kamailio.dialog_vars,
  kamailio.dispatcher, kamailio.dialplan,
  kamailio.topos_d, kamailio.topos_t,
  kamailio.htable, kamailio.uacreg, kamailio.rtpengine
TO kamailio;
-- Two tables have one writer elsewhere, so Kamailio only reads them:
--   version: the modules compare it at startup; only migrations change it;
--   subscriber: auth_db only reads credentials; voip.extensions is the source of truth and a
--     SECURITY DEFINER trigger (owned by the migrating user) keeps this table in sync with it.
GRANT SELECT ON kamailio.version, kamailio.subscriber TO kamailio;

-- nextval() for the serial ids of the tables it inserts into (not version_id_seq, subscriber_id_seq).
GRANT USAGE, SELECT ON SEQUENCE
  kamailio.acc_id_seq, kamailio.acc_cdrs_id_seq, kamailio.missed_calls_id_seq,
  kamailio.lcr_gw_id_seq, kamailio.lcr_rule_target_id_seq, kamailio.lcr_rule_id_seq,
  kamailio.domain_id_seq, kamailio.domain_attrs_id_seq,
  kamailio.grp_id_seq, kamailio.re_grp_id_seq,
  kamailio.trusted_id_seq, kamailio.address_id_seq,
  kamailio.aliases_id_seq, kamailio.location_id_seq, kamailio.location_attrs_id_seq,
  kamailio.silo_id_seq, kamailio.dbaliases_id_seq, kamailio.uri_id_seq, kamailio.speed_dial_id_seq,
  kamailio.usr_preferences_id_seq,
  kamailio.pdt_id_seq,
  kamailio.dialog_id_seq, kamailio.dialog_vars_id_seq,
  kamailio.dispatcher_id_seq, kamailio.dialplan_id_seq,
  kamailio.topos_d_id_seq, kamailio.topos_t_id_seq,
  kamailio.htable_id_seq, kamailio.uacreg_id_seq, kamailio.rtpengine_id_seq
TO kamailio;

-- ------------------------------------------------------------------ voipadmin (the web admin)
-- Shows registrations and accounting; no write, and nothing of subscriber (it holds the digest
-- hashes: VoIP Admin changes credentials through voip.extensions only).
GRANT SELECT ON kamailio.location, kamailio.acc, kamailio.acc_cdrs, kamailio.missed_calls TO voipadmin;
-- Manages the routing data Kamailio reloads: dispatcher sets, permissions' address list, domains.
GRANT SELECT, INSERT, UPDATE, DELETE ON kamailio.dispatcher, kamailio.address, kamailio.domain TO voipadmin;
GRANT USAGE, SELECT ON SEQUENCE kamailio.dispatcher_id_seq, kamailio.address_id_seq, kamailio.domain_id_seq TO voipadmin;

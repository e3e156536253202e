-- Takes back exactly what 0004 granted.
REVOKE SELECT, INSERT, UPDATE, DELETE ON kamailio.dispatcher, kamailio.address, kamailio.domain FROM voipadmin;
REVOKE USAGE, SELECT ON SEQUENCE kamailio.dispatcher_id_seq, kamailio.address_id_seq, kamailio.domain_id_seq FROM voipadmin;
REVOKE SELECT ON kamailio.location, kamailio.acc, kamailio.acc_cdrs, kamailio.missed_calls FROM voipadmin;

REVOKE SELECT ON kamailio.version, kamailio.subscriber FROM kamailio;
REVOKE SELECT, INSERT, UPDATE, DELETE ON
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
FROM kamailio;
REVOKE USAGE, SELECT ON ALL SEQUENCES IN SCHEMA kamailio FROM kamailio;

REVOKE USAGE ON SCHEMA kamailio FROM kamailio, voipadmin;

-- Drops every Kamailio table (and with it its indexes and owned id sequences). The schema
-- itself belongs to migration 0001.
DROP TABLE
  kamailio.version,
  kamailio.acc, kamailio.acc_cdrs, kamailio.missed_calls,
  kamailio.lcr_gw, kamailio.lcr_rule_target, kamailio.lcr_rule,
  kamailio.domain, kamailio.domain_attrs,
  kamailio.grp, kamailio.re_grp,
  kamailio.trusted, kamailio.address,
  kamailio.aliases, kamailio.location, kamailio.location_attrs,
  kamailio.silo, kamailio.dbaliases, kamailio.uri, kamailio.speed_dial, kamailio.usr_preferences,
  kamailio.subscriber, kamailio.pdt,
  kamailio.dialog, kamailio.dialog_vars,
  kamailio.dispatcher, kamailio.dialplan,
  kamailio.topos_d, kamailio.topos_t,
  kamailio.htable, kamailio.uacreg, kamailio.rtpengine;

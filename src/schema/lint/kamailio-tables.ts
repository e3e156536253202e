/**
 * Table names of Kamailio's modules (the STANDARD, EXTRA and PRESENCE groups of kamdbctl, 6.1):
 * db_postgres sends them unqualified, so a relation of the same name outside schema kamailio
 * could be found instead of Kamailio's, or confuse whoever reads the schema.
 */
export const KAMAILIO_TABLE_NAMES: ReadonlySet<string> = new Set([
  // STANDARD
  'version', 'acc', 'acc_cdrs', 'missed_calls', 'lcr_gw', 'lcr_rule_target', 'lcr_rule', 'domain', 'domain_attrs',
  'grp', 're_grp', 'trusted', 'address', 'aliases', 'location', 'location_attrs', 'silo', 'dbaliases', 'uri',
  'speed_dial', 'usr_preferences', 'subscriber', 'pdt', 'dialog', 'dialog_vars', 'dispatcher', 'dialplan', 'topos_d', 'topos_t',
  // EXTRA
  'imc_rooms', 'imc_members', 'cpl', 'sip_trace', 'domainpolicy', 'carrierroute', 'carrierfailureroute', 'carrier_name',
  'domain_name', 'dr_gateways', 'dr_rules', 'dr_gw_lists', 'dr_groups', 'userblocklist', 'globalblocklist', 'htable',
  'purplemap', 'uacreg', 'pl_pipes', 'mtree', 'mtrees', 'sca_subscriptions', 'mohqcalls', 'mohqueues', 'rtpproxy',
  'rtpengine', 'secfilter',
  // PRESENCE
  'presentity', 'active_watchers', 'watchers', 'xcap', 'pua', 'rls_presentity', 'rls_watchers',
]);

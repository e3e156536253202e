-- Kamailio's tables, as Kamailio 6.1.4's PostgreSQL scripts define them, in schema kamailio.
--
-- Modules: kamdbctl's default (STANDARD) set, plus htable, uac and rtpengine from its EXTRA set.
-- What has to match exactly, and why:
--   * column names, order, types, defaults and NOT NULL: the modules build their SQL from
--     column names and map result types by OID (timestamps stay WITHOUT TIME ZONE because
--     Kamailio writes local-time strings);
--   * UNIQUE keys as named constraints, not bare unique indexes: db_postgres' upsert looks the
--     constraint up in pg_constraint by table name;
--   * `serial` ids (not identity columns), each with its owned <table>_id_seq;
--   * the `version` rows: each module compares its compiled table version with them at startup.
-- test/kamailio/catalog.test.ts compares this file's result with Kamailio's own scripts.
-- Odd-looking defaults (DEFAULT NULL on nullable columns, DEFAULT 0 on a varchar) are kept
-- on purpose: they are what those scripts store in the catalog.

-- ------------------------------------------------------------------ standard: the version table
CREATE TABLE kamailio.version (
  id            serial      NOT NULL,
  table_name    varchar(32) NOT NULL,
  table_version integer     NOT NULL DEFAULT 0,
  CONSTRAINT version_pkey PRIMARY KEY (id),
  CONSTRAINT version_table_name_idx UNIQUE (table_name)
);

-- ------------------------------------------------------------------ acc
CREATE TABLE kamailio.acc (
  id         serial       NOT NULL,
  method     varchar(16)  NOT NULL DEFAULT '',
  from_tag   varchar(128) NOT NULL DEFAULT '',
  to_tag     varchar(128) NOT NULL DEFAULT '',
  callid     varchar(255) NOT NULL DEFAULT '',
  sip_code   varchar(3)   NOT NULL DEFAULT '',
  sip_reason varchar(128) NOT NULL DEFAULT '',
  time       timestamp without time zone NOT NULL,
  CONSTRAINT acc_pkey PRIMARY KEY (id)
);
CREATE INDEX acc_callid_idx ON kamailio.acc (callid);

CREATE TABLE kamailio.acc_cdrs (
  id         serial NOT NULL,
  start_time timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:00',
  end_time   timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:00',
  duration   real   NOT NULL DEFAULT 0,
  CONSTRAINT acc_cdrs_pkey PRIMARY KEY (id)
);
CREATE INDEX acc_cdrs_start_time_idx ON kamailio.acc_cdrs (start_time);

CREATE TABLE kamailio.missed_calls (
  id         serial       NOT NULL,
  method     varchar(16)  NOT NULL DEFAULT '',
  from_tag   varchar(128) NOT NULL DEFAULT '',
  to_tag     varchar(128) NOT NULL DEFAULT '',
  callid     varchar(255) NOT NULL DEFAULT '',
  sip_code   varchar(3)   NOT NULL DEFAULT '',
  sip_reason varchar(128) NOT NULL DEFAULT '',
  time       timestamp without time zone NOT NULL,
  CONSTRAINT missed_calls_pkey PRIMARY KEY (id)
);
CREATE INDEX missed_calls_callid_idx ON kamailio.missed_calls (callid);

-- ------------------------------------------------------------------ lcr
CREATE TABLE kamailio.lcr_gw (
  id         serial       NOT NULL,
  lcr_id     smallint     NOT NULL,
  gw_name    varchar(128),
  ip_addr    varchar(50),
  hostname   varchar(64),
  port       smallint,
  params     varchar(64),
  uri_scheme smallint,
  transport  smallint,
  strip      smallint,
  prefix     varchar(16)  DEFAULT NULL,
  tag        varchar(64)  DEFAULT NULL,
  flags      integer      NOT NULL DEFAULT 0,
  defunct    integer      DEFAULT NULL,
  CONSTRAINT lcr_gw_pkey PRIMARY KEY (id)
);
CREATE INDEX lcr_gw_lcr_id_idx ON kamailio.lcr_gw (lcr_id);

CREATE TABLE kamailio.lcr_rule_target (
  id       serial   NOT NULL,
  lcr_id   smallint NOT NULL,
  rule_id  integer  NOT NULL,
  gw_id    integer  NOT NULL,
  priority smallint NOT NULL,
  weight   integer  NOT NULL DEFAULT 1,
  CONSTRAINT lcr_rule_target_pkey PRIMARY KEY (id),
  CONSTRAINT lcr_rule_target_rule_id_gw_id_idx UNIQUE (rule_id, gw_id)
);
CREATE INDEX lcr_rule_target_lcr_id_idx ON kamailio.lcr_rule_target (lcr_id);

CREATE TABLE kamailio.lcr_rule (
  id          serial       NOT NULL,
  lcr_id      smallint     NOT NULL,
  prefix      varchar(16)  DEFAULT NULL,
  from_uri    varchar(64)  DEFAULT NULL,
  request_uri varchar(64)  DEFAULT NULL,
  mt_tvalue   varchar(128) DEFAULT NULL,
  stopper     integer      NOT NULL DEFAULT 0,
  enabled     integer      NOT NULL DEFAULT 1,
  CONSTRAINT lcr_rule_pkey PRIMARY KEY (id),
  CONSTRAINT lcr_rule_lcr_id_prefix_from_uri_idx UNIQUE (lcr_id, prefix, from_uri)
);

-- ------------------------------------------------------------------ domain
CREATE TABLE kamailio.domain (
  id            serial      NOT NULL,
  domain        varchar(64) NOT NULL,
  did           varchar(64) DEFAULT NULL,
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  CONSTRAINT domain_pkey PRIMARY KEY (id),
  CONSTRAINT domain_domain_idx UNIQUE (domain)
);

CREATE TABLE kamailio.domain_attrs (
  id            serial       NOT NULL,
  did           varchar(64)  NOT NULL,
  name          varchar(32)  NOT NULL,
  type          integer      NOT NULL,
  value         varchar(255) NOT NULL,
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  CONSTRAINT domain_attrs_pkey PRIMARY KEY (id)
);
CREATE INDEX domain_attrs_domain_attrs_idx ON kamailio.domain_attrs (did, name);

-- ------------------------------------------------------------------ group
CREATE TABLE kamailio.grp (
  id            serial      NOT NULL,
  username      varchar(64) NOT NULL DEFAULT '',
  domain        varchar(64) NOT NULL DEFAULT '',
  grp           varchar(64) NOT NULL DEFAULT '',
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  CONSTRAINT grp_pkey PRIMARY KEY (id),
  CONSTRAINT grp_account_group_idx UNIQUE (username, domain, grp)
);

CREATE TABLE kamailio.re_grp (
  id       serial       NOT NULL,
  reg_exp  varchar(128) NOT NULL DEFAULT '',
  group_id integer      NOT NULL DEFAULT 0,
  CONSTRAINT re_grp_pkey PRIMARY KEY (id)
);
CREATE INDEX re_grp_group_idx ON kamailio.re_grp (group_id);

-- ------------------------------------------------------------------ permissions
CREATE TABLE kamailio.trusted (
  id           serial      NOT NULL,
  src_ip       varchar(50) NOT NULL,
  proto        varchar(4)  NOT NULL,
  from_pattern varchar(64) DEFAULT NULL,
  ruri_pattern varchar(64) DEFAULT NULL,
  tag          varchar(64),
  priority     integer     NOT NULL DEFAULT 0,
  CONSTRAINT trusted_pkey PRIMARY KEY (id)
);
CREATE INDEX trusted_peer_idx ON kamailio.trusted (src_ip);

CREATE TABLE kamailio.address (
  id      serial      NOT NULL,
  grp     integer     NOT NULL DEFAULT 1,
  ip_addr varchar(50) NOT NULL,
  mask    integer     NOT NULL DEFAULT 32,
  port    smallint    NOT NULL DEFAULT 0,
  tag     varchar(64),
  CONSTRAINT address_pkey PRIMARY KEY (id)
);

-- ------------------------------------------------------------------ registrar and usrloc
-- `aliases` looks like `location` but with narrower contact/received and fewer indexes, and its
-- version row is 8 (usrloc itself wants 9 for any table it opens): kept as Kamailio ships it.
CREATE TABLE kamailio.aliases (
  id            serial       NOT NULL,
  ruid          varchar(64)  NOT NULL DEFAULT '',
  username      varchar(64)  NOT NULL DEFAULT '',
  domain        varchar(64)  DEFAULT NULL,
  contact       varchar(255) NOT NULL DEFAULT '',
  received      varchar(255) DEFAULT NULL,
  path          varchar(512) DEFAULT NULL,
  expires       timestamp without time zone NOT NULL DEFAULT '2030-05-28 21:32:15',
  q             real         NOT NULL DEFAULT 1.0,
  callid        varchar(255) NOT NULL DEFAULT 'Default-Call-ID',
  cseq          integer      NOT NULL DEFAULT 1,
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  flags         integer      NOT NULL DEFAULT 0,
  cflags        integer      NOT NULL DEFAULT 0,
  user_agent    varchar(255) NOT NULL DEFAULT '',
  socket        varchar(64)  DEFAULT NULL,
  methods       integer      DEFAULT NULL,
  instance      varchar(255) DEFAULT NULL,
  reg_id        integer      NOT NULL DEFAULT 0,
  server_id     integer      NOT NULL DEFAULT 0,
  connection_id integer      NOT NULL DEFAULT 0,
  keepalive     integer      NOT NULL DEFAULT 0,
  partition     integer      NOT NULL DEFAULT 0,
  CONSTRAINT aliases_pkey PRIMARY KEY (id),
  CONSTRAINT aliases_ruid_idx UNIQUE (ruid)
);
CREATE INDEX aliases_account_contact_idx ON kamailio.aliases (username, domain, contact);
CREATE INDEX aliases_expires_idx ON kamailio.aliases (expires);

CREATE TABLE kamailio.location (
  id            serial       NOT NULL,
  ruid          varchar(64)  NOT NULL DEFAULT '',
  username      varchar(64)  NOT NULL DEFAULT '',
  domain        varchar(64)  DEFAULT NULL,
  contact       varchar(512) NOT NULL DEFAULT '',
  received      varchar(128) DEFAULT NULL,
  path          varchar(512) DEFAULT NULL,
  expires       timestamp without time zone NOT NULL DEFAULT '2030-05-28 21:32:15',
  q             real         NOT NULL DEFAULT 1.0,
  callid        varchar(255) NOT NULL DEFAULT 'Default-Call-ID',
  cseq          integer      NOT NULL DEFAULT 1,
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  flags         integer      NOT NULL DEFAULT 0,
  cflags        integer      NOT NULL DEFAULT 0,
  user_agent    varchar(255) NOT NULL DEFAULT '',
  socket        varchar(64)  DEFAULT NULL,
  methods       integer      DEFAULT NULL,
  instance      varchar(255) DEFAULT NULL,
  reg_id        integer      NOT NULL DEFAULT 0,
  server_id     integer      NOT NULL DEFAULT 0,
  connection_id integer      NOT NULL DEFAULT 0,
  keepalive     integer      NOT NULL DEFAULT 0,
  partition     integer      NOT NULL DEFAULT 0,
  CONSTRAINT location_pkey PRIMARY KEY (id),
  CONSTRAINT location_ruid_idx UNIQUE (ruid)
);
CREATE INDEX location_account_contact_idx ON kamailio.location (username, domain, contact);
CREATE INDEX location_expires_idx ON kamailio.location (expires);
CREATE INDEX location_tcpcon_idx ON kamailio.location (connection_id);
CREATE INDEX location_connection_idx ON kamailio.location (server_id, connection_id);

CREATE TABLE kamailio.location_attrs (
  id            serial       NOT NULL,
  ruid          varchar(64)  NOT NULL DEFAULT '',
  username      varchar(64)  NOT NULL DEFAULT '',
  domain        varchar(64)  DEFAULT NULL,
  aname         varchar(64)  NOT NULL DEFAULT '',
  atype         integer      NOT NULL DEFAULT 0,
  avalue        varchar(512) NOT NULL DEFAULT '',
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  CONSTRAINT location_attrs_pkey PRIMARY KEY (id)
);
CREATE INDEX location_attrs_account_record_idx ON kamailio.location_attrs (username, domain, ruid);
CREATE INDEX location_attrs_last_modified_idx ON kamailio.location_attrs (last_modified);

-- ------------------------------------------------------------------ msilo
CREATE TABLE kamailio.silo (
  id         serial       NOT NULL,
  src_addr   varchar(255) NOT NULL DEFAULT '',
  dst_addr   varchar(255) NOT NULL DEFAULT '',
  username   varchar(64)  NOT NULL DEFAULT '',
  domain     varchar(64)  NOT NULL DEFAULT '',
  inc_time   integer      NOT NULL DEFAULT 0,
  exp_time   integer      NOT NULL DEFAULT 0,
  snd_time   integer      NOT NULL DEFAULT 0,
  ctype      varchar(32)  NOT NULL DEFAULT 'text/plain',
  body       bytea,
  extra_hdrs text,
  callid     varchar(128) NOT NULL DEFAULT '',
  status     integer      NOT NULL DEFAULT 0,
  CONSTRAINT silo_pkey PRIMARY KEY (id)
);
CREATE INDEX silo_account_idx ON kamailio.silo (username, domain);

-- ------------------------------------------------------------------ alias_db
CREATE TABLE kamailio.dbaliases (
  id             serial      NOT NULL,
  alias_username varchar(64) NOT NULL DEFAULT '',
  alias_domain   varchar(64) NOT NULL DEFAULT '',
  username       varchar(64) NOT NULL DEFAULT '',
  domain         varchar(64) NOT NULL DEFAULT '',
  CONSTRAINT dbaliases_pkey PRIMARY KEY (id)
);
CREATE INDEX dbaliases_alias_user_idx ON kamailio.dbaliases (alias_username);
CREATE INDEX dbaliases_alias_idx ON kamailio.dbaliases (alias_username, alias_domain);
CREATE INDEX dbaliases_target_idx ON kamailio.dbaliases (username, domain);

-- ------------------------------------------------------------------ uri_db
CREATE TABLE kamailio.uri (
  id            serial      NOT NULL,
  username      varchar(64) NOT NULL DEFAULT '',
  domain        varchar(64) NOT NULL DEFAULT '',
  uri_user      varchar(64) NOT NULL DEFAULT '',
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  CONSTRAINT uri_pkey PRIMARY KEY (id),
  CONSTRAINT uri_account_idx UNIQUE (username, domain, uri_user)
);

-- ------------------------------------------------------------------ speeddial
CREATE TABLE kamailio.speed_dial (
  id          serial       NOT NULL,
  username    varchar(64)  NOT NULL DEFAULT '',
  domain      varchar(64)  NOT NULL DEFAULT '',
  sd_username varchar(64)  NOT NULL DEFAULT '',
  sd_domain   varchar(64)  NOT NULL DEFAULT '',
  new_uri     varchar(255) NOT NULL DEFAULT '',
  fname       varchar(64)  NOT NULL DEFAULT '',
  lname       varchar(64)  NOT NULL DEFAULT '',
  description varchar(64)  NOT NULL DEFAULT '',
  CONSTRAINT speed_dial_pkey PRIMARY KEY (id),
  CONSTRAINT speed_dial_speed_dial_idx UNIQUE (username, domain, sd_domain, sd_username)
);

-- ------------------------------------------------------------------ avpops
-- username's DEFAULT 0 on a varchar column is Kamailio's (it yields the string '0').
CREATE TABLE kamailio.usr_preferences (
  id            serial       NOT NULL,
  uuid          varchar(64)  NOT NULL DEFAULT '',
  username      varchar(255) NOT NULL DEFAULT 0,
  domain        varchar(64)  NOT NULL DEFAULT '',
  attribute     varchar(32)  NOT NULL DEFAULT '',
  type          integer      NOT NULL DEFAULT 0,
  value         varchar(128) NOT NULL DEFAULT '',
  last_modified timestamp without time zone NOT NULL DEFAULT '2000-01-01 00:00:01',
  CONSTRAINT usr_preferences_pkey PRIMARY KEY (id)
);
CREATE INDEX usr_preferences_ua_idx ON kamailio.usr_preferences (uuid, attribute);
CREATE INDEX usr_preferences_uda_idx ON kamailio.usr_preferences (username, domain, attribute);

-- ------------------------------------------------------------------ auth_db
-- Written only through voip.extensions (a trigger keeps it in sync); Kamailio reads it.
CREATE TABLE kamailio.subscriber (
  id       serial       NOT NULL,
  username varchar(64)  NOT NULL DEFAULT '',
  domain   varchar(64)  NOT NULL DEFAULT '',
  password varchar(64)  NOT NULL DEFAULT '',
  ha1      varchar(128) NOT NULL DEFAULT '',
  ha1b     varchar(128) NOT NULL DEFAULT '',
  CONSTRAINT subscriber_pkey PRIMARY KEY (id),
  CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX subscriber_username_idx ON kamailio.subscriber (username);

-- ------------------------------------------------------------------ pdt
CREATE TABLE kamailio.pdt (
  id      serial       NOT NULL,
  sdomain varchar(255) NOT NULL,
  prefix  varchar(32)  NOT NULL,
  domain  varchar(255) NOT NULL DEFAULT '',
  CONSTRAINT pdt_pkey PRIMARY KEY (id),
  CONSTRAINT pdt_sdomain_prefix_idx UNIQUE (sdomain, prefix)
);

-- ------------------------------------------------------------------ dialog
CREATE TABLE kamailio.dialog (
  id               serial       NOT NULL,
  hash_entry       integer      NOT NULL,
  hash_id          integer      NOT NULL,
  callid           varchar(255) NOT NULL,
  from_uri         varchar(255) NOT NULL,
  from_tag         varchar(128) NOT NULL,
  to_uri           varchar(255) NOT NULL,
  to_tag           varchar(128) NOT NULL,
  caller_cseq      varchar(20)  NOT NULL,
  callee_cseq      varchar(20)  NOT NULL,
  caller_route_set varchar(512),
  callee_route_set varchar(512),
  caller_contact   varchar(255) NOT NULL,
  callee_contact   varchar(255) NOT NULL,
  caller_sock      varchar(64)  NOT NULL,
  callee_sock      varchar(64)  NOT NULL,
  state            integer      NOT NULL,
  start_time       integer      NOT NULL,
  timeout          integer      NOT NULL DEFAULT 0,
  sflags           integer      NOT NULL DEFAULT 0,
  iflags           integer      NOT NULL DEFAULT 0,
  toroute_name     varchar(32),
  req_uri          varchar(255) NOT NULL,
  xdata            varchar(512),
  CONSTRAINT dialog_pkey PRIMARY KEY (id)
);
CREATE INDEX dialog_hash_idx ON kamailio.dialog (hash_entry, hash_id);

CREATE TABLE kamailio.dialog_vars (
  id           serial       NOT NULL,
  hash_entry   integer      NOT NULL,
  hash_id      integer      NOT NULL,
  dialog_key   varchar(128) NOT NULL,
  dialog_value varchar(512) NOT NULL,
  CONSTRAINT dialog_vars_pkey PRIMARY KEY (id)
);
CREATE INDEX dialog_vars_hash_idx ON kamailio.dialog_vars (hash_entry, hash_id);

-- ------------------------------------------------------------------ dispatcher
CREATE TABLE kamailio.dispatcher (
  id          serial       NOT NULL,
  setid       integer      NOT NULL DEFAULT 0,
  destination varchar(192) NOT NULL DEFAULT '',
  flags       integer      NOT NULL DEFAULT 0,
  priority    integer      NOT NULL DEFAULT 0,
  attrs       varchar(128) NOT NULL DEFAULT '',
  description varchar(64)  NOT NULL DEFAULT '',
  CONSTRAINT dispatcher_pkey PRIMARY KEY (id)
);

-- ------------------------------------------------------------------ dialplan
CREATE TABLE kamailio.dialplan (
  id        serial       NOT NULL,
  dpid      integer      NOT NULL,
  pr        integer      NOT NULL,
  match_op  integer      NOT NULL,
  match_exp varchar(64)  NOT NULL,
  match_len integer      NOT NULL,
  subst_exp varchar(64)  NOT NULL,
  repl_exp  varchar(256) NOT NULL,
  attrs     varchar(64)  NOT NULL,
  CONSTRAINT dialplan_pkey PRIMARY KEY (id)
);

-- ------------------------------------------------------------------ topos
CREATE TABLE kamailio.topos_d (
  id         serial       NOT NULL,
  rectime    timestamp without time zone NOT NULL,
  x_context  varchar(64)  NOT NULL DEFAULT '',
  s_method   varchar(64)  NOT NULL DEFAULT '',
  s_cseq     varchar(64)  NOT NULL DEFAULT '',
  a_callid   varchar(255) NOT NULL DEFAULT '',
  a_uuid     varchar(255) NOT NULL DEFAULT '',
  b_uuid     varchar(255) NOT NULL DEFAULT '',
  a_contact  varchar(512) NOT NULL DEFAULT '',
  b_contact  varchar(512) NOT NULL DEFAULT '',
  as_contact varchar(512) NOT NULL DEFAULT '',
  bs_contact varchar(512) NOT NULL DEFAULT '',
  a_tag      varchar(255) NOT NULL DEFAULT '',
  b_tag      varchar(255) NOT NULL DEFAULT '',
  a_rr       text,
  b_rr       text,
  s_rr       text,
  iflags     integer      NOT NULL DEFAULT 0,
  a_uri      varchar(255) NOT NULL DEFAULT '',
  b_uri      varchar(255) NOT NULL DEFAULT '',
  r_uri      varchar(255) NOT NULL DEFAULT '',
  a_srcaddr  varchar(128) NOT NULL DEFAULT '',
  b_srcaddr  varchar(128) NOT NULL DEFAULT '',
  a_socket   varchar(128) NOT NULL DEFAULT '',
  b_socket   varchar(128) NOT NULL DEFAULT '',
  CONSTRAINT topos_d_pkey PRIMARY KEY (id)
);
CREATE INDEX topos_d_rectime_idx ON kamailio.topos_d (rectime);
CREATE INDEX topos_d_a_callid_idx ON kamailio.topos_d (a_callid);
CREATE INDEX topos_d_a_uuid_idx ON kamailio.topos_d (a_uuid);
CREATE INDEX topos_d_b_uuid_idx ON kamailio.topos_d (b_uuid);

CREATE TABLE kamailio.topos_t (
  id         serial       NOT NULL,
  rectime    timestamp without time zone NOT NULL,
  x_context  varchar(64)  NOT NULL DEFAULT '',
  s_method   varchar(64)  NOT NULL DEFAULT '',
  s_cseq     varchar(64)  NOT NULL DEFAULT '',
  a_callid   varchar(255) NOT NULL DEFAULT '',
  a_uuid     varchar(255) NOT NULL DEFAULT '',
  b_uuid     varchar(255) NOT NULL DEFAULT '',
  direction  integer      NOT NULL DEFAULT 0,
  x_via      text,
  x_vbranch  varchar(255) NOT NULL DEFAULT '',
  x_rr       text,
  y_rr       text,
  s_rr       text,
  x_uri      varchar(255) NOT NULL DEFAULT '',
  a_contact  varchar(512) NOT NULL DEFAULT '',
  b_contact  varchar(512) NOT NULL DEFAULT '',
  as_contact varchar(512) NOT NULL DEFAULT '',
  bs_contact varchar(512) NOT NULL DEFAULT '',
  x_tag      varchar(255) NOT NULL DEFAULT '',
  a_tag      varchar(255) NOT NULL DEFAULT '',
  b_tag      varchar(255) NOT NULL DEFAULT '',
  a_srcaddr  varchar(255) NOT NULL DEFAULT '',
  b_srcaddr  varchar(255) NOT NULL DEFAULT '',
  a_socket   varchar(128) NOT NULL DEFAULT '',
  b_socket   varchar(128) NOT NULL DEFAULT '',
  CONSTRAINT topos_t_pkey PRIMARY KEY (id)
);
CREATE INDEX topos_t_rectime_idx ON kamailio.topos_t (rectime);
CREATE INDEX topos_t_a_callid_idx ON kamailio.topos_t (a_callid);
CREATE INDEX topos_t_x_vbranch_idx ON kamailio.topos_t (x_vbranch);
CREATE INDEX topos_t_a_uuid_idx ON kamailio.topos_t (a_uuid);

-- ------------------------------------------------------------------ htable (EXTRA group)
-- 6.x widths (256/512); 5.6 had 64/128 under the same version 2. htable checks no version.
CREATE TABLE kamailio.htable (
  id         serial       NOT NULL,
  key_name   varchar(256) NOT NULL DEFAULT '',
  key_type   integer      NOT NULL DEFAULT 0,
  value_type integer      NOT NULL DEFAULT 0,
  key_value  varchar(512) NOT NULL DEFAULT '',
  expires    integer      NOT NULL DEFAULT 0,
  CONSTRAINT htable_pkey PRIMARY KEY (id)
);

-- ------------------------------------------------------------------ uac (EXTRA group)
CREATE TABLE kamailio.uacreg (
  id            serial       NOT NULL,
  l_uuid        varchar(64)  NOT NULL DEFAULT '',
  l_username    varchar(64)  NOT NULL DEFAULT '',
  l_domain      varchar(64)  NOT NULL DEFAULT '',
  r_username    varchar(64)  NOT NULL DEFAULT '',
  r_domain      varchar(64)  NOT NULL DEFAULT '',
  realm         varchar(64)  NOT NULL DEFAULT '',
  auth_username varchar(64)  NOT NULL DEFAULT '',
  auth_password varchar(64)  NOT NULL DEFAULT '',
  auth_ha1      varchar(128) NOT NULL DEFAULT '',
  auth_proxy    varchar(255) NOT NULL DEFAULT '',
  expires       integer      NOT NULL DEFAULT 0,
  flags         integer      NOT NULL DEFAULT 0,
  reg_delay     integer      NOT NULL DEFAULT 0,
  contact_addr  varchar(255) NOT NULL DEFAULT '',
  socket        varchar(128) NOT NULL DEFAULT '',
  CONSTRAINT uacreg_pkey PRIMARY KEY (id),
  CONSTRAINT uacreg_l_uuid_idx UNIQUE (l_uuid)
);

-- ------------------------------------------------------------------ rtpengine (EXTRA group)
CREATE TABLE kamailio.rtpengine (
  id       serial      NOT NULL,
  setid    integer     NOT NULL DEFAULT 0,
  url      varchar(64) NOT NULL,
  weight   integer     NOT NULL DEFAULT 1,
  disabled integer     NOT NULL DEFAULT 0,
  stamp    timestamp without time zone NOT NULL DEFAULT '1900-01-01 00:00:01',
  CONSTRAINT rtpengine_pkey PRIMARY KEY (id),
  CONSTRAINT rtpengine_rtpengine_nodes UNIQUE (setid, url)
);

-- ------------------------------------------------------------------ version rows
-- One row per table, with the version Kamailio 6.1.4 ships (acc_cdrs is 3 since 6.1; the 5.6
-- and 6.0 modules never check it).
INSERT INTO kamailio.version (table_name, table_version) VALUES
  ('version', 1),
  ('acc', 5), ('acc_cdrs', 3), ('missed_calls', 4),
  ('lcr_gw', 3), ('lcr_rule_target', 1), ('lcr_rule', 3),
  ('domain', 2), ('domain_attrs', 1),
  ('grp', 2), ('re_grp', 1),
  ('trusted', 6), ('address', 6),
  ('aliases', 8),
  ('location', 9), ('location_attrs', 1),
  ('silo', 8),
  ('dbaliases', 1),
  ('uri', 1),
  ('speed_dial', 2),
  ('usr_preferences', 2),
  ('subscriber', 7),
  ('pdt', 1),
  ('dialog', 7), ('dialog_vars', 1),
  ('dispatcher', 4),
  ('dialplan', 2),
  ('topos_d', 2), ('topos_t', 2),
  ('htable', 2),
  ('uacreg', 5),
  ('rtpengine', 1);

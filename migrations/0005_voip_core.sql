-- VoIP Admin's provisioning tables: what it needs to answer FreeSWITCH's mod_xml_curl requests
-- (directory, callcenter.conf, gateways, inbound numbers).
--
-- Names: no relation here may share a name with a Kamailio table (domain, dialplan, address, ...),
-- so a role whose search_path reaches both schemas can never pick the wrong one.
-- Credentials: no plaintext SIP password is stored. An extension holds its digest hashes
-- (ha1 = md5(user:realm:password), ha1b = md5(user@domain:realm:password), the realm being the
-- domain name), computed by src/voip/credentials.ts. Triggers copy them into kamailio.subscriber
-- in the same transaction: a subscriber row exists exactly for the extensions that are enabled,
-- in an enabled domain, and have credentials.

-- ------------------------------------------------------------------ shared helpers

CREATE FUNCTION voip.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION voip.touch_updated_at() IS 'BEFORE UPDATE trigger: keeps updated_at honest whoever writes the row';

-- ------------------------------------------------------------------ domains

CREATE TABLE voip.domains (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The SIP domain, which is also the digest realm on Kamailio and FreeSWITCH. Stored in lower
  -- case (SIP host names are case-insensitive, digest realms are not: one spelling only), and at
  -- most 64 characters because kamailio.subscriber.domain is varchar(64).
  name        text NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  description text,
  -- Domain-level <params> and <variables> of the directory answer (dial-string, ...).
  params      jsonb NOT NULL DEFAULT '{}',
  variables   jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT domains_name_key UNIQUE (name),
  CONSTRAINT domains_name_check CHECK (
    length(name) BETWEEN 1 AND 64 AND name ~ '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'),
  CONSTRAINT domains_params_check CHECK (jsonb_typeof(params) = 'object'),
  CONSTRAINT domains_variables_check CHECK (jsonb_typeof(variables) = 'object')
);
COMMENT ON TABLE voip.domains IS 'SIP domains (= digest realms); the directory section of mod_xml_curl is looked up by domain';

CREATE TRIGGER domains_touch_updated_at BEFORE UPDATE ON voip.domains
  FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

-- ------------------------------------------------------------------ extensions

CREATE TABLE voip.extensions (
  id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- RESTRICT: deleting a domain must not silently delete its users; delete them first.
  domain_id                  bigint NOT NULL REFERENCES voip.domains (id) ON DELETE RESTRICT,
  -- The directory <user id>, the SIP and digest user name (kamailio.subscriber.username, varchar(64)).
  extension                  text NOT NULL,
  number_alias               text,
  -- Digest hashes, lower-case hex MD5; NULL = no credentials (cannot authenticate anywhere).
  ha1                        text,
  ha1b                       text,
  enabled                    boolean NOT NULL DEFAULT true,
  display_name               text,
  user_context               text NOT NULL DEFAULT 'default',
  effective_caller_id_name   text,
  effective_caller_id_number text,
  outbound_caller_id_name    text,
  outbound_caller_id_number  text,
  -- FreeSWITCH's toll_allow variable is a comma list (local,domestic,international); kept as an array.
  toll_allow                 text[] NOT NULL DEFAULT '{}',
  accountcode                text,
  call_group                 text,
  -- max-registrations-per-extension param; NULL = FreeSWITCH default (unlimited).
  max_registrations          integer,
  -- Concurrent call limit (limit application); NULL = none.
  limit_max                  integer,
  limit_destination          text,
  auth_acl                   text,
  -- Voicemail. The PIN is never stored: vm_a1_hash = md5(extension:domain:pin) is FreeSWITCH's
  -- vm-a1-hash param (mod_voicemail checks the PIN against it), computed by credentials.ts.
  vm_enabled                 boolean NOT NULL DEFAULT true,
  vm_a1_hash                 text,
  vm_mailto                  text,
  vm_attach_file             boolean NOT NULL DEFAULT true,
  vm_keep_local_after_email  boolean NOT NULL DEFAULT true,
  -- Extra <params> and <variables> of the directory answer, rendered as given.
  params                     jsonb NOT NULL DEFAULT '{}',
  variables                  jsonb NOT NULL DEFAULT '{}',
  description                text,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now(),
  -- The exact directory lookup: user + domain.
  CONSTRAINT extensions_domain_extension_key UNIQUE (domain_id, extension),
  -- Target of composite foreign keys that keep agents in their extension's domain.
  CONSTRAINT extensions_id_domain_key UNIQUE (id, domain_id),
  CONSTRAINT extensions_extension_check CHECK (
    length(extension) BETWEEN 1 AND 64 AND extension ~ '^[A-Za-z0-9][A-Za-z0-9._+-]*$'),
  CONSTRAINT extensions_number_alias_check CHECK (
    number_alias IS NULL OR (length(number_alias) BETWEEN 1 AND 64 AND number_alias ~ '^[A-Za-z0-9][A-Za-z0-9._+-]*$')),
  CONSTRAINT extensions_ha1_check CHECK (ha1 IS NULL OR ha1 ~ '^[0-9a-f]{32}$'),
  CONSTRAINT extensions_ha1b_check CHECK (ha1b IS NULL OR ha1b ~ '^[0-9a-f]{32}$'),
  -- Both hashes come from one password: half a credential would authenticate one UA form only.
  CONSTRAINT extensions_hashes_together_check CHECK ((ha1 IS NULL) = (ha1b IS NULL)),
  CONSTRAINT extensions_vm_a1_hash_check CHECK (vm_a1_hash IS NULL OR vm_a1_hash ~ '^[0-9a-f]{32}$'),
  CONSTRAINT extensions_max_registrations_check CHECK (max_registrations IS NULL OR max_registrations > 0),
  CONSTRAINT extensions_limit_max_check CHECK (limit_max IS NULL OR limit_max >= 0),
  CONSTRAINT extensions_user_context_check CHECK (length(user_context) > 0),
  CONSTRAINT extensions_params_check CHECK (jsonb_typeof(params) = 'object'),
  CONSTRAINT extensions_variables_check CHECK (jsonb_typeof(variables) = 'object')
);
COMMENT ON TABLE voip.extensions IS 'Directory users (mod_xml_curl); their digest hashes feed kamailio.subscriber through triggers';
COMMENT ON COLUMN voip.extensions.ha1 IS 'md5(extension:domain:password), FreeSWITCH a1-hash = Kamailio subscriber.ha1; NULL = no credentials';
COMMENT ON COLUMN voip.extensions.ha1b IS 'md5(extension@domain:domain:password) = Kamailio subscriber.ha1b';
COMMENT ON COLUMN voip.extensions.vm_a1_hash IS 'md5(extension:domain:voicemail PIN), FreeSWITCH vm-a1-hash; the PIN itself is never stored';

-- Lookups by alias (voicemail resolve, number-alias REGISTER); unique inside a domain.
CREATE UNIQUE INDEX extensions_domain_number_alias_key ON voip.extensions (domain_id, number_alias)
  WHERE number_alias IS NOT NULL;

-- The hashes are bound to (user, realm). Renaming an extension or moving it to another domain
-- without supplying new hashes would leave hashes nobody can match: clear them instead, so the
-- state is explicit (no credentials) rather than silently broken.
CREATE FUNCTION voip.extensions_before_update() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF (NEW.extension, NEW.domain_id) IS DISTINCT FROM (OLD.extension, OLD.domain_id) THEN
    IF NEW.ha1 IS NOT DISTINCT FROM OLD.ha1 THEN
      NEW.ha1 := NULL;
      NEW.ha1b := NULL;
    END IF;
    IF NEW.vm_a1_hash IS NOT DISTINCT FROM OLD.vm_a1_hash THEN
      NEW.vm_a1_hash := NULL;
    END IF;
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TRIGGER extensions_before_update BEFORE UPDATE ON voip.extensions
  FOR EACH ROW EXECUTE FUNCTION voip.extensions_before_update();

-- ------------------------------------------------------------------ credential sync to Kamailio

-- Keeps kamailio.subscriber equal to the set of (extension, domain name, ha1, ha1b) of enabled
-- extensions with credentials in enabled domains. Statement-level with transition tables, so a
-- bulk insert of 100 000 extensions costs two set-based statements, not 100 000 trigger calls.
--
-- SECURITY DEFINER: the roles that write voip.extensions (voipadmin) have no right on
-- kamailio.subscriber, and must not: only this function, owned by the migrating user, writes
-- there. search_path is pinned and every name is qualified, so nobody can slip an object in.
CREATE FUNCTION voip.extensions_sync_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- Each branch names only the transition tables its event has (plpgsql plans a statement
  -- when it first runs it, and new_rows does not exist for DELETE).
  IF TG_OP = 'DELETE' THEN
    DELETE FROM kamailio.subscriber s
     USING old_rows o
      JOIN voip.domains d ON d.id = o.domain_id
     WHERE s.username = o.extension AND s.domain = d.name;
  ELSIF TG_OP = 'UPDATE' THEN
    -- Remove what the old rows put there, unless the new state still wants the same key (then
    -- the upsert below updates it in place and Kamailio never sees a gap).
    DELETE FROM kamailio.subscriber s
     USING old_rows o
      JOIN voip.domains d ON d.id = o.domain_id
     WHERE s.username = o.extension AND s.domain = d.name
       AND NOT EXISTS (
             SELECT 1
               FROM new_rows n
               JOIN voip.domains nd ON nd.id = n.domain_id
              WHERE n.extension = o.extension AND nd.name = d.name
                AND n.enabled AND nd.enabled AND n.ha1 IS NOT NULL);
  END IF;

  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO kamailio.subscriber AS s (username, domain, password, ha1, ha1b)
    SELECT n.extension, d.name, '', n.ha1, n.ha1b
      FROM new_rows n
      JOIN voip.domains d ON d.id = n.domain_id
     WHERE n.enabled AND d.enabled AND n.ha1 IS NOT NULL
    ON CONFLICT (username, domain) DO UPDATE
       SET password = '', ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b
     WHERE (s.password, s.ha1, s.ha1b) IS DISTINCT FROM ('', EXCLUDED.ha1, EXCLUDED.ha1b);
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION voip.extensions_sync_subscriber() FROM PUBLIC;

-- Transition tables allow one event per trigger, hence three triggers on one function.
CREATE TRIGGER extensions_sync_subscriber_insert AFTER INSERT ON voip.extensions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION voip.extensions_sync_subscriber();
CREATE TRIGGER extensions_sync_subscriber_update AFTER UPDATE ON voip.extensions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION voip.extensions_sync_subscriber();
CREATE TRIGGER extensions_sync_subscriber_delete AFTER DELETE ON voip.extensions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION voip.extensions_sync_subscriber();

-- TRUNCATE fires no row or statement DELETE trigger: remove every credential of our domains.
CREATE FUNCTION voip.extensions_truncate_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM kamailio.subscriber s USING voip.domains d WHERE s.domain = d.name;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION voip.extensions_truncate_subscriber() FROM PUBLIC;

CREATE TRIGGER extensions_truncate_subscriber AFTER TRUNCATE ON voip.extensions
  FOR EACH STATEMENT EXECUTE FUNCTION voip.extensions_truncate_subscriber();

-- A domain's name is the digest realm inside every hash of its extensions. Renaming it makes
-- those hashes unusable: their subscriber rows (under the old name) are removed and the hashes
-- cleared; set new passwords (same transaction if wanted) to give the users credentials again.
-- Disabling a domain removes its users' subscriber rows; enabling it puts them back.
CREATE FUNCTION voip.domains_sync_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name OR (OLD.enabled AND NOT NEW.enabled) THEN
    DELETE FROM kamailio.subscriber s
     USING voip.extensions e
     WHERE e.domain_id = OLD.id AND s.username = e.extension AND s.domain = OLD.name;
  END IF;

  IF NEW.name IS DISTINCT FROM OLD.name THEN
    -- The extension triggers then find nothing to write: these rows have no credentials.
    UPDATE voip.extensions
       SET ha1 = NULL, ha1b = NULL, vm_a1_hash = NULL
     WHERE domain_id = NEW.id AND (ha1 IS NOT NULL OR vm_a1_hash IS NOT NULL);
  ELSIF NEW.enabled AND NOT OLD.enabled THEN
    INSERT INTO kamailio.subscriber (username, domain, password, ha1, ha1b)
    SELECT e.extension, NEW.name, '', e.ha1, e.ha1b
      FROM voip.extensions e
     WHERE e.domain_id = NEW.id AND e.enabled AND e.ha1 IS NOT NULL
    ON CONFLICT (username, domain) DO UPDATE
       SET password = '', ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b;
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION voip.domains_sync_subscriber() FROM PUBLIC;

CREATE TRIGGER domains_sync_subscriber AFTER UPDATE OF name, enabled ON voip.domains
  FOR EACH ROW EXECUTE FUNCTION voip.domains_sync_subscriber();

-- What a directory answer may be built from: the rule "no credentials or disabled => not found"
-- lives here once. (FreeSWITCH lets a user without password or a1-hash in by default, because
-- allow-empty-password defaults to true, so such users must never be answered.)
CREATE VIEW voip.directory_users AS
SELECT e.id AS extension_id,
       d.id AS domain_id,
       d.name AS domain_name,
       e.extension,
       e.number_alias,
       e.ha1 AS a1_hash,
       e.display_name,
       e.user_context,
       e.effective_caller_id_name,
       e.effective_caller_id_number,
       e.outbound_caller_id_name,
       e.outbound_caller_id_number,
       array_to_string(e.toll_allow, ',') AS toll_allow,
       e.accountcode,
       e.call_group,
       e.max_registrations,
       e.limit_max,
       e.limit_destination,
       e.auth_acl,
       e.vm_enabled,
       e.vm_a1_hash,
       e.vm_mailto,
       e.vm_attach_file,
       e.vm_keep_local_after_email,
       d.params AS domain_params,
       d.variables AS domain_variables,
       e.params,
       e.variables
  FROM voip.extensions e
  JOIN voip.domains d ON d.id = e.domain_id
 WHERE e.enabled AND d.enabled AND e.ha1 IS NOT NULL;
COMMENT ON VIEW voip.directory_users IS 'Users a mod_xml_curl directory request may be answered with; anything else is "not found"';

-- ------------------------------------------------------------------ mod_callcenter

CREATE TABLE voip.queues (
  id                                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id                                bigint NOT NULL REFERENCES voip.domains (id) ON DELETE RESTRICT,
  -- FreeSWITCH knows the queue as name@domain.
  name                                     text NOT NULL,
  strategy                                 text NOT NULL DEFAULT 'longest-idle-agent',
  moh_sound                                text,
  announce_sound                           text,
  announce_frequency                       integer NOT NULL DEFAULT 0,
  record_template                          text,
  time_base_score                          text NOT NULL DEFAULT 'queue',
  max_wait_time                            integer NOT NULL DEFAULT 0,
  max_wait_time_with_no_agent              integer NOT NULL DEFAULT 0,
  max_wait_time_with_no_agent_time_reached integer NOT NULL DEFAULT 5,
  tier_rules_apply                         boolean NOT NULL DEFAULT false,
  tier_rule_wait_second                    integer NOT NULL DEFAULT 0,
  tier_rule_wait_multiply_level            boolean NOT NULL DEFAULT false,
  tier_rule_no_agent_no_wait               boolean NOT NULL DEFAULT true,
  discard_abandoned_after                  integer NOT NULL DEFAULT 60,
  abandoned_resume_allowed                 boolean NOT NULL DEFAULT false,
  ring_progressively_delay                 integer NOT NULL DEFAULT 0,
  skip_agents_with_external_calls          boolean NOT NULL DEFAULT true,
  agent_no_answer_status                   text NOT NULL DEFAULT 'On Break',
  enabled                                  boolean NOT NULL DEFAULT true,
  description                              text,
  created_at                               timestamptz NOT NULL DEFAULT now(),
  updated_at                               timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT queues_domain_name_key UNIQUE (domain_id, name),
  CONSTRAINT queues_id_domain_key UNIQUE (id, domain_id),
  CONSTRAINT queues_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
  -- mod_callcenter silently falls back to its default on an unknown strategy: refuse it here.
  CONSTRAINT queues_strategy_check CHECK (strategy IN (
    'ring-all', 'longest-idle-agent', 'round-robin', 'top-down', 'agent-with-least-talk-time',
    'agent-with-fewest-calls', 'sequentially-by-agent-order', 'random', 'ring-progressively')),
  CONSTRAINT queues_time_base_score_check CHECK (time_base_score IN ('queue', 'system')),
  CONSTRAINT queues_announce_frequency_check CHECK (announce_frequency BETWEEN 0 AND 86400),
  CONSTRAINT queues_agent_no_answer_status_check CHECK (
    agent_no_answer_status IN ('Logged Out', 'Available', 'Available (On Demand)', 'On Break')),
  CONSTRAINT queues_durations_check CHECK (
    max_wait_time >= 0 AND max_wait_time_with_no_agent >= 0 AND max_wait_time_with_no_agent_time_reached >= 0
    AND tier_rule_wait_second >= 0 AND discard_abandoned_after >= 0 AND ring_progressively_delay >= 0)
);
COMMENT ON TABLE voip.queues IS 'mod_callcenter queues (callcenter.conf via mod_xml_curl); runtime state stays in FreeSWITCH''s own tables';

CREATE TRIGGER queues_touch_updated_at BEFORE UPDATE ON voip.queues
  FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE voip.queue_agents (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id            bigint NOT NULL REFERENCES voip.domains (id) ON DELETE RESTRICT,
  -- mod_callcenter agent name (unique per FreeSWITCH: name@domain).
  name                 text NOT NULL,
  -- The extension that takes the calls, if any; it must be in the agent's domain.
  extension_id         bigint,
  type                 text NOT NULL DEFAULT 'callback',
  -- Dial string, e.g. [leg_timeout=10]user/1000@example.com
  contact              text NOT NULL,
  status               text NOT NULL DEFAULT 'Logged Out',
  max_no_answer        integer NOT NULL DEFAULT 0,
  wrap_up_time         integer NOT NULL DEFAULT 0,
  reject_delay_time    integer NOT NULL DEFAULT 0,
  busy_delay_time      integer NOT NULL DEFAULT 0,
  no_answer_delay_time integer NOT NULL DEFAULT 0,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT queue_agents_domain_name_key UNIQUE (domain_id, name),
  CONSTRAINT queue_agents_id_domain_key UNIQUE (id, domain_id),
  -- RESTRICT: an extension that is somebody's agent is removed from the agents first.
  CONSTRAINT queue_agents_extension_fkey FOREIGN KEY (extension_id, domain_id)
    REFERENCES voip.extensions (id, domain_id) ON DELETE RESTRICT,
  CONSTRAINT queue_agents_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
  CONSTRAINT queue_agents_type_check CHECK (type IN ('callback', 'uuid-standby')),
  CONSTRAINT queue_agents_status_check CHECK (status IN ('Logged Out', 'Available', 'Available (On Demand)', 'On Break')),
  CONSTRAINT queue_agents_contact_check CHECK (length(contact) > 0),
  CONSTRAINT queue_agents_times_check CHECK (
    max_no_answer >= 0 AND wrap_up_time >= 0 AND reject_delay_time >= 0 AND busy_delay_time >= 0 AND no_answer_delay_time >= 0)
);
COMMENT ON TABLE voip.queue_agents IS 'mod_callcenter agents';
CREATE INDEX queue_agents_extension_idx ON voip.queue_agents (extension_id) WHERE extension_id IS NOT NULL;

CREATE TRIGGER queue_agents_touch_updated_at BEFORE UPDATE ON voip.queue_agents
  FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

CREATE TABLE voip.queue_tiers (
  -- domain_id is repeated so the two composite keys below force queue and agent into one domain.
  domain_id  bigint NOT NULL,
  queue_id   bigint NOT NULL,
  agent_id   bigint NOT NULL,
  level      integer NOT NULL DEFAULT 1,
  position   integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT queue_tiers_pkey PRIMARY KEY (queue_id, agent_id),
  CONSTRAINT queue_tiers_queue_fkey FOREIGN KEY (queue_id, domain_id)
    REFERENCES voip.queues (id, domain_id) ON DELETE CASCADE,
  CONSTRAINT queue_tiers_agent_fkey FOREIGN KEY (agent_id, domain_id)
    REFERENCES voip.queue_agents (id, domain_id) ON DELETE CASCADE,
  CONSTRAINT queue_tiers_level_check CHECK (level >= 0),
  CONSTRAINT queue_tiers_position_check CHECK (position >= 0)
);
COMMENT ON TABLE voip.queue_tiers IS 'mod_callcenter tiers: which agent serves which queue, at which level and position';
-- "Which queues does this agent serve" (the PK serves the queue side).
CREATE INDEX queue_tiers_agent_idx ON voip.queue_tiers (agent_id);

CREATE TRIGGER queue_tiers_touch_updated_at BEFORE UPDATE ON voip.queue_tiers
  FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

-- ------------------------------------------------------------------ gateways

CREATE TABLE voip.gateways (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- NULL: a global gateway (sofia profile); else answered for purpose=gateways of that domain.
  domain_id          bigint REFERENCES voip.domains (id) ON DELETE RESTRICT,
  -- Gateway names are global in a sofia profile.
  name               text NOT NULL,
  profile            text NOT NULL DEFAULT 'external',
  proxy              text NOT NULL,
  realm              text,
  username           text,
  auth_username      text,
  -- An outbound secret must stay recoverable, so it cannot be hashed; it is not stored here
  -- either. This names the secret in VoIP Admin's secret store (a file, an environment variable).
  password_ref       text,
  register           boolean NOT NULL DEFAULT false,
  register_transport text NOT NULL DEFAULT 'udp',
  expire_seconds     integer NOT NULL DEFAULT 3600,
  retry_seconds      integer NOT NULL DEFAULT 30,
  ping_seconds       integer,
  from_user          text,
  from_domain        text,
  caller_id_in_from  boolean NOT NULL DEFAULT false,
  context            text NOT NULL DEFAULT 'public',
  enabled            boolean NOT NULL DEFAULT true,
  params             jsonb NOT NULL DEFAULT '{}',
  variables          jsonb NOT NULL DEFAULT '{}',
  description        text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT gateways_name_key UNIQUE (name),
  CONSTRAINT gateways_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
  CONSTRAINT gateways_register_transport_check CHECK (register_transport IN ('udp', 'tcp', 'tls')),
  -- Registering needs credentials to register with.
  CONSTRAINT gateways_register_credentials_check CHECK (NOT register OR (username IS NOT NULL AND password_ref IS NOT NULL)),
  CONSTRAINT gateways_timers_check CHECK (expire_seconds > 0 AND retry_seconds > 0 AND (ping_seconds IS NULL OR ping_seconds > 0)),
  CONSTRAINT gateways_params_check CHECK (jsonb_typeof(params) = 'object'),
  CONSTRAINT gateways_variables_check CHECK (jsonb_typeof(variables) = 'object')
);
COMMENT ON TABLE voip.gateways IS 'SIP trunks (sofia gateways); the password is referenced, never stored';
COMMENT ON COLUMN voip.gateways.password_ref IS 'name of the gateway password in VoIP Admin''s secret store; the database never holds it';
CREATE INDEX gateways_domain_idx ON voip.gateways (domain_id) WHERE domain_id IS NOT NULL;

CREATE TRIGGER gateways_touch_updated_at BEFORE UPDATE ON voip.gateways
  FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

-- ------------------------------------------------------------------ inbound numbers

-- Where an inbound number (DID) goes: the dialplan section of mod_xml_curl looks the dialled
-- number up here. Exactly one target column is set, matching target_type.
CREATE TABLE voip.inbound_numbers (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  domain_id    bigint NOT NULL REFERENCES voip.domains (id) ON DELETE RESTRICT,
  -- As it arrives in destination_number, digits with an optional leading +.
  number       text NOT NULL,
  target_type  text NOT NULL,
  extension_id bigint,
  queue_id     bigint,
  gateway_id   bigint REFERENCES voip.gateways (id) ON DELETE RESTRICT,
  enabled      boolean NOT NULL DEFAULT true,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  -- A number routes to one place, whatever domain owns it.
  CONSTRAINT inbound_numbers_number_key UNIQUE (number),
  CONSTRAINT inbound_numbers_number_check CHECK (number ~ '^\+?[0-9]{1,32}$'),
  CONSTRAINT inbound_numbers_extension_fkey FOREIGN KEY (extension_id, domain_id)
    REFERENCES voip.extensions (id, domain_id) ON DELETE RESTRICT,
  CONSTRAINT inbound_numbers_queue_fkey FOREIGN KEY (queue_id, domain_id)
    REFERENCES voip.queues (id, domain_id) ON DELETE RESTRICT,
  CONSTRAINT inbound_numbers_target_check CHECK (
    (target_type = 'extension' AND extension_id IS NOT NULL AND queue_id IS NULL AND gateway_id IS NULL)
    OR (target_type = 'voicemail' AND extension_id IS NOT NULL AND queue_id IS NULL AND gateway_id IS NULL)
    OR (target_type = 'queue' AND queue_id IS NOT NULL AND extension_id IS NULL AND gateway_id IS NULL)
    OR (target_type = 'gateway' AND gateway_id IS NOT NULL AND extension_id IS NULL AND queue_id IS NULL))
);
COMMENT ON TABLE voip.inbound_numbers IS 'Inbound numbers (DIDs) and where calls to them go';
CREATE INDEX inbound_numbers_extension_idx ON voip.inbound_numbers (extension_id) WHERE extension_id IS NOT NULL;
CREATE INDEX inbound_numbers_queue_idx ON voip.inbound_numbers (queue_id) WHERE queue_id IS NOT NULL;
CREATE INDEX inbound_numbers_gateway_idx ON voip.inbound_numbers (gateway_id) WHERE gateway_id IS NOT NULL;

CREATE TRIGGER inbound_numbers_touch_updated_at BEFORE UPDATE ON voip.inbound_numbers
  FOR EACH ROW EXECUTE FUNCTION voip.touch_updated_at();

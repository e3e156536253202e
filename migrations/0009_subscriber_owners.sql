-- Which kamailio.subscriber rows provisioning owns (issue 15, item 14). The credential triggers
-- of 0005 wrote any row whose (username, domain) matched an extension: provisioning an extension
-- named like a subscriber made by someone else (kamctl, another tool, a database adopted with its
-- subscribers) overwrote that row's hashes, and deleting the extension deleted it. An account
-- could be taken over by anyone allowed to provision.
--
-- Now the triggers record every row they create here, and touch only rows recorded here: a write
-- that would take over a row they do not own fails with SQLSTATE 42501 (insufficient_privilege),
-- CONSTRAINT subscriber_owners, naming the row; a delete or disable leaves such a row alone.
-- Kamailio's schema stays exactly Kamailio's: the marker lives in voip, and its foreign key
-- removes the marker when the subscriber row goes (whoever deletes it).
-- Adopting an existing database marks the subscriber rows it takes over here too.

CREATE TABLE voip.subscriber_owners (
  subscriber_id integer PRIMARY KEY REFERENCES kamailio.subscriber (id) ON DELETE CASCADE
);
COMMENT ON TABLE voip.subscriber_owners IS 'kamailio.subscriber rows created (or adopted) by provisioning; the credential triggers touch no other row';

-- Rows provisioning made before this migration: those matching an extension of ours. (A row that
-- matched an extension was, before this migration, already under the triggers' control.)
INSERT INTO voip.subscriber_owners (subscriber_id)
SELECT s.id
  FROM kamailio.subscriber s
  JOIN voip.domains d ON d.name = s.domain
  JOIN voip.extensions e ON e.domain_id = d.id AND e.extension = s.username
ON CONFLICT DO NOTHING;

-- Upserts the subscriber rows of the given credentials, refusing any (username, domain) already
-- held by a row provisioning does not own, and records the rows it creates. One implementation
-- for the extension and the domain triggers. SECURITY DEFINER like every function writing
-- kamailio.subscriber; nobody but its owner may call it.
CREATE FUNCTION voip.subscriber_upsert_owned(usernames text[], domains text[], ha1s text[], ha1bs text[]) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  foreign_row record;
BEGIN
  SELECT s.id, s.username, s.domain INTO foreign_row
    FROM unnest(usernames, domains) AS w(username, domain)
    JOIN kamailio.subscriber s ON s.username = w.username AND s.domain = w.domain
   WHERE NOT EXISTS (SELECT 1 FROM voip.subscriber_owners o WHERE o.subscriber_id = s.id)
   ORDER BY s.domain, s.username
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'kamailio.subscriber row %@% (id %) was not created by provisioning; refusing to take it over',
      foreign_row.username, foreign_row.domain, foreign_row.id
      USING ERRCODE = 'insufficient_privilege',
            SCHEMA = 'kamailio', TABLE = 'subscriber', CONSTRAINT = 'subscriber_owners',
            DETAIL = 'Provisioning writes only the subscriber rows it created or adopted (voip.subscriber_owners).',
            HINT = 'remove or rename the other account, or adopt it (insert its id into voip.subscriber_owners) if it is meant to be managed here';
  END IF;

  WITH written AS (
    INSERT INTO kamailio.subscriber AS s (username, domain, password, ha1, ha1b)
    SELECT w.username, w.domain, '', w.ha1, w.ha1b
      FROM unnest(usernames, domains, ha1s, ha1bs) AS w(username, domain, ha1, ha1b)
    ON CONFLICT (username, domain) DO UPDATE
       SET password = '', ha1 = EXCLUDED.ha1, ha1b = EXCLUDED.ha1b
     WHERE (s.password, s.ha1, s.ha1b) IS DISTINCT FROM ('', EXCLUDED.ha1, EXCLUDED.ha1b)
    RETURNING s.id
  )
  INSERT INTO voip.subscriber_owners (subscriber_id)
  SELECT id FROM written
  ON CONFLICT DO NOTHING;
END
$$;
REVOKE ALL ON FUNCTION voip.subscriber_upsert_owned(text[], text[], text[], text[]) FROM PUBLIC;
COMMENT ON FUNCTION voip.subscriber_upsert_owned(text[], text[], text[], text[]) IS 'Internal to the credential triggers: upserts owned subscriber rows, refuses foreign ones (SQLSTATE 42501)';

CREATE OR REPLACE FUNCTION voip.extensions_sync_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  wanted record;
BEGIN
  -- Each branch names only the transition tables its event has (plpgsql plans a statement
  -- when it first runs it, and new_rows does not exist for DELETE). Only owned rows are deleted.
  IF TG_OP = 'DELETE' THEN
    DELETE FROM kamailio.subscriber s
     USING old_rows o
      JOIN voip.domains d ON d.id = o.domain_id
     WHERE s.username = o.extension AND s.domain = d.name
       AND EXISTS (SELECT 1 FROM voip.subscriber_owners so WHERE so.subscriber_id = s.id);
  ELSIF TG_OP = 'UPDATE' THEN
    -- Remove what the old rows put there, unless the new state still wants the same key (then
    -- the upsert below updates it in place and Kamailio never sees a gap).
    DELETE FROM kamailio.subscriber s
     USING old_rows o
      JOIN voip.domains d ON d.id = o.domain_id
     WHERE s.username = o.extension AND s.domain = d.name
       AND EXISTS (SELECT 1 FROM voip.subscriber_owners so WHERE so.subscriber_id = s.id)
       AND NOT EXISTS (
             SELECT 1
               FROM new_rows n
               JOIN voip.domains nd ON nd.id = n.domain_id
              WHERE n.extension = o.extension AND nd.name = d.name
                AND n.enabled AND nd.enabled AND n.ha1 IS NOT NULL);
  END IF;

  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT array_agg(n.extension::text) AS usernames, array_agg(d.name) AS domains,
           array_agg(n.ha1) AS ha1s, array_agg(n.ha1b) AS ha1bs
      INTO wanted
      FROM new_rows n
      JOIN voip.domains d ON d.id = n.domain_id
     WHERE n.enabled AND d.enabled AND n.ha1 IS NOT NULL;
    IF wanted.usernames IS NOT NULL THEN
      PERFORM voip.subscriber_upsert_owned(wanted.usernames, wanted.domains, wanted.ha1s, wanted.ha1bs);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

-- TRUNCATE fires no row or statement DELETE trigger: remove every owned credential of our domains.
CREATE OR REPLACE FUNCTION voip.extensions_truncate_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM kamailio.subscriber s
   USING voip.domains d, voip.subscriber_owners so
   WHERE s.domain = d.name AND so.subscriber_id = s.id;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION voip.domains_sync_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  wanted record;
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name OR (OLD.enabled AND NOT NEW.enabled) THEN
    DELETE FROM kamailio.subscriber s
     USING voip.extensions e
     WHERE e.domain_id = OLD.id AND s.username = e.extension AND s.domain = OLD.name
       AND EXISTS (SELECT 1 FROM voip.subscriber_owners so WHERE so.subscriber_id = s.id);
  END IF;

  IF NEW.name IS DISTINCT FROM OLD.name THEN
    -- The extension triggers then find nothing to write: these rows have no credentials.
    UPDATE voip.extensions
       SET ha1 = NULL, ha1b = NULL, vm_a1_hash = NULL
     WHERE domain_id = NEW.id AND (ha1 IS NOT NULL OR vm_a1_hash IS NOT NULL);
  ELSIF NEW.enabled AND NOT OLD.enabled THEN
    SELECT array_agg(e.extension) AS usernames, array_agg(NEW.name) AS domains,
           array_agg(e.ha1) AS ha1s, array_agg(e.ha1b) AS ha1bs
      INTO wanted
      FROM voip.extensions e
     WHERE e.domain_id = NEW.id AND e.enabled AND e.ha1 IS NOT NULL;
    IF wanted.usernames IS NOT NULL THEN
      PERFORM voip.subscriber_upsert_owned(wanted.usernames, wanted.domains, wanted.ha1s, wanted.ha1bs);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

-- Back to the credential triggers of 0005, which write any subscriber row matching an extension.
-- The ownership markers are dropped; the subscriber rows themselves stay as they are.

CREATE OR REPLACE FUNCTION voip.extensions_sync_subscriber() RETURNS trigger
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

CREATE OR REPLACE FUNCTION voip.extensions_truncate_subscriber() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM kamailio.subscriber s USING voip.domains d WHERE s.domain = d.name;
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION voip.domains_sync_subscriber() RETURNS trigger
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

DROP FUNCTION voip.subscriber_upsert_owned(text[], text[], text[], text[]);
DROP TABLE voip.subscriber_owners;

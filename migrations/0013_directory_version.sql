-- A change counter for caches of the directory (voip.directory_users). A cache cannot rely on
-- LISTEN/NOTIFY: notifications are not replicated, so a cache beside the hot standby would never
-- hear of a password changed on the primary. This row is: any statement that may change what the
-- view answers (insert, update, delete or truncate of domains or extensions) bumps the counter in
-- its own transaction, so the new value becomes visible on either node exactly when the change
-- does (on the standby, when it is replayed). A cache polls the value and drops what it holds
-- when it moves.
--
-- A row, not a sequence: sequences are not transactional (a cache could see the new value before
-- the change commits, reload the old data and keep it) and are WAL-logged 32 values ahead, so
-- the standby would see most increments late or not at all.
--
-- The cost is one row update per writing statement; concurrent provisioning transactions queue
-- on this row until each commits, which provisioning's rate (people, scripts) easily affords.
CREATE TABLE voip.directory_version (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
COMMENT ON TABLE voip.directory_version IS 'Change counter of voip.directory_users, bumped by every statement writing domains or extensions; caches poll it (works on the standby, unlike NOTIFY)';

INSERT INTO voip.directory_version (id, version) VALUES (true, 1);

-- SECURITY DEFINER: voipadmin writes domains and extensions but may only read the counter (it
-- must not be able to hold it still while changing passwords). An upsert, so a schema loaded from
-- schema.sql (which holds no rows of this table) counts from its first change.
CREATE FUNCTION voip.directory_version_bump() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO voip.directory_version AS v (id, version) VALUES (true, 1)
  ON CONFLICT (id) DO UPDATE SET version = v.version + 1;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION voip.directory_version_bump() FROM PUBLIC;

-- Per statement, not per row: a bulk load of 100 000 extensions bumps once.
CREATE TRIGGER domains_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.domains
  FOR EACH STATEMENT EXECUTE FUNCTION voip.directory_version_bump();
CREATE TRIGGER extensions_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON voip.extensions
  FOR EACH STATEMENT EXECUTE FUNCTION voip.directory_version_bump();

GRANT SELECT ON voip.directory_version TO voipadmin;

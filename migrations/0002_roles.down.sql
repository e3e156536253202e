-- Undo what 0002 did to this database. The roles themselves are NOT dropped: they are shared by
-- every database of the server (a second voipdb, a restore being tested), may own or hold
-- privileges elsewhere (DROP ROLE would fail, or worse, succeed and lock out a running Kamailio),
-- and carry the passwords operators set. Drop them by hand once no database uses them:
--   DROP ROLE kamailio; DROP ROLE voipadmin; DROP ROLE replicator;
DO $$
BEGIN
  EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM kamailio, voipadmin', current_database());
  EXECUTE format('ALTER ROLE kamailio IN DATABASE %I RESET search_path', current_database());
END
$$;

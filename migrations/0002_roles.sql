-- The platform's login roles. Roles belong to the whole server, not to one database: a second
-- voipdb-like database on the same server, or a re-run after a restore, must find them already
-- there and carry on. So every CREATE ROLE is guarded, and a concurrent creator (another database
-- being migrated at the same moment) is tolerated as well.
--
-- No password is set here: passwords come from the environment when `db migrate` runs and are
-- sent as SCRAM verifiers (src/roles). A role without one cannot log in.
DO $$
DECLARE
  wanted constant text[][] := ARRAY[
    -- role         attributes
    ARRAY['kamailio',   'LOGIN'],
    ARRAY['voipadmin',  'LOGIN'],
    ARRAY['replicator', 'LOGIN REPLICATION']
  ];
  i int;
  role_name text;
  existing pg_roles%ROWTYPE;
BEGIN
  FOR i IN 1 .. array_length(wanted, 1) LOOP
    role_name := wanted[i][1];
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I %s NOSUPERUSER NOCREATEDB NOCREATEROLE', role_name, wanted[i][2]);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        -- Another session created it between our check and our CREATE: that is fine.
        NULL;
      END;
    END IF;

    -- A role that already existed (made by hand, by kamdbctl, by an older run) must still be
    -- least-privileged. Only the attributes that are wrong are touched, so that a migrating user
    -- without superuser can run this when nothing needs fixing.
    SELECT * INTO existing FROM pg_roles WHERE rolname = role_name;
    IF existing.rolsuper THEN
      EXECUTE format('ALTER ROLE %I NOSUPERUSER', role_name);
    END IF;
    IF existing.rolcreatedb OR existing.rolcreaterole THEN
      EXECUTE format('ALTER ROLE %I NOCREATEDB NOCREATEROLE', role_name);
    END IF;
    IF NOT existing.rolcanlogin THEN
      EXECUTE format('ALTER ROLE %I LOGIN', role_name);
    END IF;
    IF role_name = 'replicator' AND NOT existing.rolreplication THEN
      EXECUTE format('ALTER ROLE %I REPLICATION', role_name);
    ELSIF role_name <> 'replicator' AND existing.rolreplication THEN
      EXECUTE format('ALTER ROLE %I NOREPLICATION', role_name);
    END IF;
  END LOOP;
END
$$;

-- Kamailio sends its table names unqualified (db_postgres has no schema parameter), so the role
-- must resolve them in schema kamailio. Set per database, so another database on the server
-- keeps its own setting. `public` is left out on purpose: nothing there may shadow a table.
DO $$
BEGIN
  EXECUTE format('ALTER ROLE kamailio IN DATABASE %I SET search_path = kamailio', current_database());
END
$$;

-- Migration 0001 took CONNECT away from PUBLIC; the two application roles get it by name.
-- The replicator needs none: physical replication connects to the `replication` pseudo-database.
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO kamailio, voipadmin', current_database());
END
$$;

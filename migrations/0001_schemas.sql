-- The schemas of voipdb. Kamailio's tables live in `kamailio` (its role finds them through
-- search_path), VoIP Admin's data in `voip`. `public` stays, but nobody may create in it:
-- an unqualified Kamailio table name must never resolve to a stray relation there.
CREATE SCHEMA kamailio;
COMMENT ON SCHEMA kamailio IS 'Exactly the tables, indexes and version rows that Kamailio''s modules expect';

CREATE SCHEMA voip;
COMMENT ON SCHEMA voip IS 'VoIP Admin data: domains, extensions, CDRs, queues, gateways';

REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- PUBLIC may not connect: each platform role is granted CONNECT by name.
DO $$
BEGIN
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END
$$;

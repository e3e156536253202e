-- Call detail records as FreeSWITCH posts them (mod_xml_cdr / mod_json_cdr, at least once).
--
-- Range-partitioned by month on the call's start time, keyed by (uuid, start_stamp): a retried
-- post of the same leg maps to the same key (start_stamp is derived from start_uepoch), so
-- `INSERT ... ON CONFLICT (uuid, start_stamp) DO NOTHING` makes ingestion idempotent.
--
-- There is deliberately no DEFAULT partition: a CDR outside every partition fails with SQLSTATE
-- 23514 "no partition of relation "cdr" found for row" (the service answers non-2xx and
-- FreeSWITCH retries or keeps the file), instead of landing in a catch-all that makes every
-- later CREATE/ATTACH scan it and rules out DETACH CONCURRENTLY.
--
-- No partition is created here: this migration must build the same schema whatever day it runs
-- (schema.sql is a committed dump). Partitions come from voip.cdr_ensure_partitions(), which
-- `db migrate` (post-step), `db partitions` and the seeds call.
-- Month boundaries are UTC, and partition names are cdr_YYYYMM of the UTC month.

CREATE TABLE voip.cdr (
  uuid                   uuid NOT NULL,
  start_stamp            timestamptz NOT NULL,
  answer_stamp           timestamptz,
  end_stamp              timestamptz NOT NULL,
  duration               integer NOT NULL DEFAULT 0,
  billsec                integer NOT NULL DEFAULT 0,
  -- 'a' or 'b' (mod_xml_cdr prefixes A-leg uuids with a_ in the URL).
  leg                    char(1) NOT NULL,
  direction              text NOT NULL,
  call_uuid              uuid,
  bridge_uuid            uuid,
  originating_leg_uuid   uuid,
  -- No foreign keys: CDRs outlive the domains and extensions they name.
  domain_id              bigint,
  domain_name            text,
  extension_id           bigint,
  accountcode            text,
  caller_id_name         text,
  caller_id_number       text,
  destination_number     text,
  context                text,
  hangup_cause           text,
  hangup_cause_q850      integer,
  sip_hangup_disposition text,
  sip_call_id            text,
  read_codec             text,
  write_codec            text,
  network_addr           inet,
  cc_queue               text,
  cc_agent               text,
  cc_side                text,
  -- Which FreeSWITCH node produced it (HA pair).
  switchname             text,
  core_uuid              uuid,
  received_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cdr_pkey PRIMARY KEY (uuid, start_stamp),
  CONSTRAINT cdr_leg_check CHECK (leg IN ('a', 'b')),
  CONSTRAINT cdr_direction_check CHECK (direction IN ('inbound', 'outbound')),
  CONSTRAINT cdr_times_check CHECK (end_stamp >= start_stamp AND (answer_stamp IS NULL OR answer_stamp >= start_stamp)),
  CONSTRAINT cdr_seconds_check CHECK (duration >= 0 AND billsec >= 0 AND billsec <= duration)
) PARTITION BY RANGE (start_stamp);
COMMENT ON TABLE voip.cdr IS 'CDRs, one row per call leg, monthly partitions cdr_YYYYMM (UTC); no default partition on purpose';

-- Partitioned indexes: created on every partition, present and future.
-- "Latest calls of a tenant", paginated by time.
CREATE INDEX cdr_domain_start_idx ON voip.cdr (domain_id, start_stamp DESC);
CREATE INDEX cdr_caller_id_number_idx ON voip.cdr (caller_id_number, start_stamp DESC);
CREATE INDEX cdr_destination_number_idx ON voip.cdr (destination_number, start_stamp DESC);
-- Tracing a call across Kamailio and FreeSWITCH logs.
CREATE INDEX cdr_sip_call_id_idx ON voip.cdr (sip_call_id);
-- Wide time-range scans inside a partition. start_stamp is only roughly ordered on disk (rows
-- arrive at call end, replays come late), which minmax-multi tolerates.
CREATE INDEX cdr_start_stamp_brin ON voip.cdr USING brin (start_stamp timestamptz_minmax_multi_ops);

-- ------------------------------------------------------------------ partition maintenance

-- Creates the partition of the UTC month containing `month_of` if missing; returns its name
-- when it was created, NULL when it already existed.
CREATE FUNCTION voip.cdr_create_partition(month_of timestamptz) RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
AS $$
DECLARE
  lower_bound timestamptz := date_trunc('month', month_of);
  upper_bound timestamptz := date_trunc('month', month_of) + interval '1 month';
  partition_name text := 'cdr_' || to_char(date_trunc('month', month_of), 'YYYYMM');
BEGIN
  IF month_of IS NULL THEN
    RAISE EXCEPTION 'cdr_create_partition: month_of must not be NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Two maintainers at once (two VoIP Admin workers, a CLI run) must not race on the same name.
  PERFORM pg_advisory_xact_lock(hashtext('voip.cdr partition maintenance'));
  IF to_regclass(format('voip.%I', partition_name)) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('CREATE TABLE voip.%I PARTITION OF voip.cdr FOR VALUES FROM (%L) TO (%L)',
                 partition_name, lower_bound, upper_bound);
  RETURN partition_name;
END
$$;
COMMENT ON FUNCTION voip.cdr_create_partition(timestamptz) IS 'Creates voip.cdr_YYYYMM for the UTC month of the argument; NULL if it existed';

-- Makes sure the partitions of the current UTC month and the `ahead` following months exist.
-- Returns the names it created.
CREATE FUNCTION voip.cdr_ensure_partitions(ahead integer DEFAULT 3, at timestamptz DEFAULT now())
RETURNS SETOF text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
AS $$
DECLARE
  i integer;
  created text;
BEGIN
  IF ahead IS NULL OR ahead < 0 OR ahead > 120 THEN
    RAISE EXCEPTION 'cdr_ensure_partitions: ahead must be between 0 and 120 months, got %', ahead
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR i IN 0 .. ahead LOOP
    created := voip.cdr_create_partition(date_trunc('month', at) + make_interval(months => i));
    IF created IS NOT NULL THEN
      RETURN NEXT created;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION voip.cdr_ensure_partitions(integer, timestamptz) IS 'Creates the missing partitions from the current UTC month to `ahead` months later';

-- Retention: keeps the current UTC month and the `retain` months before it; every cdr_YYYYMM
-- partition that ends before that is detached and dropped. Partitions not named cdr_YYYYMM
-- (made by hand) are never touched. Returns the names it dropped.
CREATE FUNCTION voip.cdr_drop_partitions(retain integer, at timestamptz DEFAULT now())
RETURNS SETOF text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
AS $$
DECLARE
  cutoff timestamptz;
  part record;
BEGIN
  IF retain IS NULL OR retain < 0 THEN
    RAISE EXCEPTION 'cdr_drop_partitions: retain must be 0 or more months, got %', retain
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := date_trunc('month', at) - make_interval(months => retain);
  PERFORM pg_advisory_xact_lock(hashtext('voip.cdr partition maintenance'));
  FOR part IN
    SELECT c.relname
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'voip.cdr'::regclass
       AND c.relname ~ '^cdr_[0-9]{6}$'
       -- The partition's upper bound, read back from its bound expression (rendered in UTC).
       AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz <= cutoff
     ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE voip.cdr DETACH PARTITION voip.%I', part.relname);
    EXECUTE format('DROP TABLE voip.%I', part.relname);
    RETURN NEXT part.relname;
  END LOOP;
END
$$;
COMMENT ON FUNCTION voip.cdr_drop_partitions(integer, timestamptz) IS 'Detaches and drops cdr_YYYYMM partitions older than the current UTC month minus `retain` months';

REVOKE ALL ON FUNCTION voip.cdr_create_partition(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION voip.cdr_ensure_partitions(integer, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION voip.cdr_drop_partitions(integer, timestamptz) FROM PUBLIC;

-- Back to the maintenance functions of 0006 (same names, arguments and grants).

-- Creates the partition of the UTC month containing `month_of` if missing; returns its name
-- when it was created, NULL when it already existed.
CREATE OR REPLACE FUNCTION voip.cdr_create_partition(month_of timestamptz) RETURNS text
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
CREATE OR REPLACE FUNCTION voip.cdr_ensure_partitions(ahead integer DEFAULT 3, at timestamptz DEFAULT now())
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
CREATE OR REPLACE FUNCTION voip.cdr_drop_partitions(retain integer, at timestamptz DEFAULT now())
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

DROP FUNCTION voip.cdr_maintenance_prepare(text, timestamptz);

-- CDR partition maintenance that a wrong clock, a careless call or a live report cannot turn
-- into lost CDRs or stalled inserts (issue 15, items 3 and 7). Replaces the three functions of
-- 0006; their names, arguments and grants stay.
--
-- Bounds, refused with SQLSTATE 22023 (invalid_parameter_value) and a message naming them:
--   * `at` must be within 31 days of the server's now(): "now" is for tests and for a worker
--     that passes its own clock; a value further off is a wrong clock or a mistake.
--   * `ahead` is 0 .. 24 months (two years of empty tables is plenty; 120 made 121 tables).
--   * cdr_create_partition() makes no month more than 25 months after now() (back-filling old
--     months stays possible).
-- Retention is measured from the clock AND from the newest CDR: a partition is dropped only when
-- it is older than `retain` months before both, so a clock running ahead (or an `at` in the
-- future) can never drop the months that hold the latest CDRs.
--
-- Locks: a new partition is created as a plain table and then attached, which takes only SHARE
-- UPDATE EXCLUSIVE on voip.cdr: CDR inserts and report queries go on while it happens (CREATE
-- TABLE ... PARTITION OF takes ACCESS EXCLUSIVE, which queues behind any report and makes every
-- insert queue behind it). Detaching for retention still needs ACCESS EXCLUSIVE. Every function
-- bounds its lock waits: when the caller has set no lock_timeout, 5 s applies (the caller's own
-- value, e.g. `db partitions --lock-timeout`, is kept), so inserts queued behind the DDL never
-- wait longer than that.

-- Shared checks: the lock wait bound and the clock bound, written once.
CREATE FUNCTION voip.cdr_maintenance_prepare(caller text, at timestamptz) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF at IS NULL THEN
    RAISE EXCEPTION '%: at must not be NULL', caller USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF abs(extract(epoch FROM at - now())) > 31 * 86400 THEN
    RAISE EXCEPTION '%: at (%) is % days from the server clock (now() = %); it must be within 31 days',
      caller, at, round(extract(epoch FROM at - now()) / 86400), now()
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'omit at to use now(); if now() itself is wrong, fix the server clock first';
  END IF;
  -- Transaction-local: a caller's own lock_timeout wins; none at all becomes 5 s.
  IF current_setting('lock_timeout') = '0' THEN
    PERFORM set_config('lock_timeout', '5s', true);
  END IF;
  -- Two maintainers at once (two VoIP Admin workers, a CLI run) must not race on the same names.
  PERFORM pg_advisory_xact_lock(hashtext('voip.cdr partition maintenance'));
END
$$;
REVOKE ALL ON FUNCTION voip.cdr_maintenance_prepare(text, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION voip.cdr_maintenance_prepare(text, timestamptz) IS 'Internal to the cdr_* maintenance functions: checks `at`, bounds lock waits, takes the maintenance lock';

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
  IF month_of >= date_trunc('month', now()) + interval '26 months' THEN
    RAISE EXCEPTION 'cdr_create_partition: % is more than 25 months after the server clock (now() = %)', month_of, now()
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'partitions are made at most 24 months ahead (cdr_ensure_partitions); check the argument and the server clock';
  END IF;
  -- The clock check does not apply to month_of (old months may be back-filled): pass now().
  PERFORM voip.cdr_maintenance_prepare('cdr_create_partition', now());
  IF to_regclass(format('voip.%I', partition_name)) IS NOT NULL THEN
    RETURN NULL;
  END IF;
  -- A plain table first, attached afterwards: ATTACH takes SHARE UPDATE EXCLUSIVE on voip.cdr,
  -- which neither inserts nor reports conflict with. It is empty, so the bound check is instant,
  -- and ATTACH builds the partitioned indexes on it.
  EXECUTE format('CREATE TABLE voip.%I (LIKE voip.cdr INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)',
                 partition_name);
  EXECUTE format('ALTER TABLE voip.cdr ATTACH PARTITION voip.%I FOR VALUES FROM (%L) TO (%L)',
                 partition_name, lower_bound, upper_bound);
  RETURN partition_name;
END
$$;
COMMENT ON FUNCTION voip.cdr_create_partition(timestamptz) IS 'Creates voip.cdr_YYYYMM for the UTC month of the argument (at most 25 months ahead); NULL if it existed';

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
  IF ahead IS NULL OR ahead < 0 OR ahead > 24 THEN
    RAISE EXCEPTION 'cdr_ensure_partitions: ahead must be between 0 and 24 months, got %', ahead
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM voip.cdr_maintenance_prepare('cdr_ensure_partitions', at);
  FOR i IN 0 .. ahead LOOP
    created := voip.cdr_create_partition(date_trunc('month', at) + make_interval(months => i));
    IF created IS NOT NULL THEN
      RETURN NEXT created;
    END IF;
  END LOOP;
END
$$;
COMMENT ON FUNCTION voip.cdr_ensure_partitions(integer, timestamptz) IS 'Creates the missing partitions from the current UTC month to `ahead` (0..24) months later; `at` within 31 days of now()';

CREATE OR REPLACE FUNCTION voip.cdr_drop_partitions(retain integer, at timestamptz DEFAULT now())
RETURNS SETOF text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
AS $$
DECLARE
  newest_month timestamptz;
  cutoff timestamptz;
  has_rows boolean;
  part record;
BEGIN
  IF retain IS NULL OR retain < 0 THEN
    RAISE EXCEPTION 'cdr_drop_partitions: retain must be 0 or more months, got %', retain
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM voip.cdr_maintenance_prepare('cdr_drop_partitions', at);

  -- The month of the newest CDR: the newest partition (by upper bound) holding any row. One
  -- cheap EXISTS per partition, newest first, instead of max(start_stamp) over every CDR.
  FOR part IN
    SELECT c.relname,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'voip.cdr'::regclass
     ORDER BY 2 DESC
  LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM voip.%I)', part.relname) INTO has_rows;
    IF has_rows THEN
      newest_month := date_trunc('month', part.upper_bound - interval '1 microsecond');
      EXIT;
    END IF;
  END LOOP;

  -- Keep `retain` months before the current month AND before the newest CDR's month.
  cutoff := least(date_trunc('month', at), coalesce(newest_month, date_trunc('month', at))) - make_interval(months => retain);
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
COMMENT ON FUNCTION voip.cdr_drop_partitions(integer, timestamptz) IS 'Detaches and drops cdr_YYYYMM partitions older than `retain` months before both the current UTC month and the newest CDR''s month; `at` within 31 days of now()';

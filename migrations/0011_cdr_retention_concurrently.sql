-- CDR retention without stalling CDR inserts (a follow-up to issue 15's live locks).
--
-- voip.cdr_drop_partitions() detaches inside its transaction, which needs ACCESS EXCLUSIVE on
-- voip.cdr: while it waits for a report to end (at most lock_timeout), every CDR insert queues
-- behind it. `db partitions --retain` now detaches with DETACH PARTITION ... CONCURRENTLY, which
-- takes only SHARE UPDATE EXCLUSIVE on voip.cdr but cannot run inside a transaction block, so
-- it cannot live in a function. What can: the choice of the partitions to drop, with every
-- safety rule of 0008 (the clock bound on `at`, retention measured from the clock and from the
-- newest CDR). It moves to voip.cdr_partitions_to_drop(); cdr_drop_partitions() keeps its name,
-- arguments and behaviour for callers inside a transaction (VoIP Admin's worker) and uses it.
-- voip.cdr has no DEFAULT partition (0006), which DETACH ... CONCURRENTLY requires.

CREATE FUNCTION voip.cdr_partitions_to_drop(retain integer, at timestamptz DEFAULT now())
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
  -- Partitions being detached (a retention run interrupted midway) are no longer voip.cdr's.
  FOR part IN
    SELECT c.relname,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'voip.cdr'::regclass AND NOT i.inhdetachpending
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
  RETURN QUERY
    SELECT c.relname::text
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'voip.cdr'::regclass
       AND NOT i.inhdetachpending
       AND c.relname ~ '^cdr_[0-9]{6}$'
       -- The partition's upper bound, read back from its bound expression (rendered in UTC).
       AND substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz <= cutoff
     ORDER BY c.relname;
END
$$;
REVOKE ALL ON FUNCTION voip.cdr_partitions_to_drop(integer, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION voip.cdr_partitions_to_drop(integer, timestamptz) IS 'The cdr_YYYYMM partitions older than `retain` months before both the current UTC month and the newest CDR''s month; `at` within 31 days of now(); takes the maintenance lock';

CREATE OR REPLACE FUNCTION voip.cdr_drop_partitions(retain integer, at timestamptz DEFAULT now())
RETURNS SETOF text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET "TimeZone" = 'UTC'
AS $$
DECLARE
  name text;
BEGIN
  FOR name IN SELECT p FROM voip.cdr_partitions_to_drop(retain, at) AS p LOOP
    EXECUTE format('ALTER TABLE voip.cdr DETACH PARTITION voip.%I', name);
    EXECUTE format('DROP TABLE voip.%I', name);
    RETURN NEXT name;
  END LOOP;
END
$$;

-- Back to 0008's cdr_drop_partitions, which chose the partitions itself.
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
DROP FUNCTION voip.cdr_partitions_to_drop(integer, timestamptz);

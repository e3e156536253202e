-- The platform roles may neither take advisory locks nor create large objects in voipdb.
--
-- Advisory locks are how `db migrate` (a session lock on a fixed key) and CDR partition
-- maintenance (the functions of 0006/0008/0011 and `db partitions`) keep to one run at a time.
-- PostgreSQL lets every role take any advisory lock, so kamailio or voipadmin could hold either
-- key and make every later run wait until its --lock-wait ran out. Large objects would let them
-- fill the disk outside every table they are granted. Both kinds of function are in pg_catalog,
-- whose rows are per database: these revocations hold in voipdb only.
--
-- Who still takes the locks: the migrating superuser (superusers pass every privilege check),
-- and the SECURITY DEFINER partition functions, which run as their owner (that superuser) when
-- voipadmin calls them; so voipadmin holds the partition lock only while the transaction of one
-- of its maintenance calls is open, as any maintainer does. No role needs one back: Kamailio's
-- modules and the voipdb client use neither (test/kamailio/builtin-functions.test.ts).
-- lo_import() and lo_export() are superuser-only already; opening, writing or removing a large
-- object needs one's own, which no platform role can now make.

REVOKE EXECUTE ON FUNCTION
  pg_catalog.pg_advisory_lock(bigint), pg_catalog.pg_advisory_lock(integer, integer),
  pg_catalog.pg_advisory_lock_shared(bigint), pg_catalog.pg_advisory_lock_shared(integer, integer),
  pg_catalog.pg_advisory_xact_lock(bigint), pg_catalog.pg_advisory_xact_lock(integer, integer),
  pg_catalog.pg_advisory_xact_lock_shared(bigint), pg_catalog.pg_advisory_xact_lock_shared(integer, integer),
  pg_catalog.pg_try_advisory_lock(bigint), pg_catalog.pg_try_advisory_lock(integer, integer),
  pg_catalog.pg_try_advisory_lock_shared(bigint), pg_catalog.pg_try_advisory_lock_shared(integer, integer),
  pg_catalog.pg_try_advisory_xact_lock(bigint), pg_catalog.pg_try_advisory_xact_lock(integer, integer),
  pg_catalog.pg_try_advisory_xact_lock_shared(bigint), pg_catalog.pg_try_advisory_xact_lock_shared(integer, integer),
  pg_catalog.pg_advisory_unlock(bigint), pg_catalog.pg_advisory_unlock(integer, integer),
  pg_catalog.pg_advisory_unlock_shared(bigint), pg_catalog.pg_advisory_unlock_shared(integer, integer),
  pg_catalog.pg_advisory_unlock_all()
FROM PUBLIC;

REVOKE EXECUTE ON FUNCTION
  pg_catalog.lo_creat(integer), pg_catalog.lo_create(oid), pg_catalog.lo_from_bytea(oid, bytea)
FROM PUBLIC;

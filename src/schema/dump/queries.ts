/**
 * The catalog queries of the schema dumper. Every query runs with search_path = pg_catalog, so
 * `oid::regclass::text`, `format_type` and the `pg_get_*def` functions qualify every name with
 * its schema and quote it as PostgreSQL would. `$1` is always the array of dumped schema names.
 * Rows come back sorted with COLLATE "C" so that the order does not depend on the locale.
 *
 * Written against the columns PostgreSQL 15 and 18 share; where 18 added something that 15
 * lacks (NOT NULL constraints, nullable attstattarget) the query normalises it here.
 */

/** User schemas: everything but the system ones and the migration engine's history schema. */
export const SCHEMAS = `
SELECT n.nspname AS name, quote_ident(n.nspname) AS ident
FROM pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', 'voipdb_meta')
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
ORDER BY n.nspname COLLATE "C"`;

export const EXTENSIONS = `
SELECT quote_ident(e.extname) AS name, quote_ident(n.nspname) AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY e.extname COLLATE "C"`;

/** Excludes objects that belong to an extension (pg_depend deptype 'e'). */
const notExtensionMember = (classid: string, oid: string): string =>
  `NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = '${classid}'::regclass AND x.objid = ${oid} AND x.deptype = 'e')`;

export const ENUMS = `
SELECT format_type(t.oid, NULL) AS name,
  array(SELECT quote_literal(e.enumlabel) FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = ANY($1) AND ${notExtensionMember('pg_type', 't.oid')}
ORDER BY format_type(t.oid, NULL) COLLATE "C"`;

/** PG18 also stores a domain's NOT NULL as a constraint row (contype 'n'): typnotnull says it for both. */
export const DOMAINS = `
SELECT format_type(t.oid, NULL) AS name, format_type(t.typbasetype, t.typtypmod) AS base_type,
  CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
    THEN (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END AS collation,
  t.typdefault AS default_expr, t.typnotnull AS not_null,
  array(SELECT format('CONSTRAINT %I %s', c.conname, pg_get_constraintdef(c.oid)) FROM pg_constraint c
        WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname COLLATE "C") AS checks
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE t.typtype = 'd' AND n.nspname = ANY($1) AND ${notExtensionMember('pg_type', 't.oid')}
ORDER BY format_type(t.oid, NULL) COLLATE "C"`;

export const COMPOSITES = `
SELECT format_type(t.oid, NULL) AS name,
  array(SELECT format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)) FROM pg_attribute a
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS attributes
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_class c ON c.oid = t.typrelid
WHERE t.typtype = 'c' AND c.relkind = 'c' AND n.nspname = ANY($1) AND ${notExtensionMember('pg_type', 't.oid')}
ORDER BY format_type(t.oid, NULL) COLLATE "C"`;

/**
 * Sequences that are not identity sequences (those are rendered with their column).
 * `owned_by` is set for serial-style sequences (pg_depend deptype 'a' on a column).
 */
export const SEQUENCES = `
SELECT c.oid::regclass::text AS name, format_type(s.seqtypid, NULL) AS type,
  s.seqstart::text AS start, s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max,
  s.seqcache::text AS cache, s.seqcycle AS cycle,
  (SELECT format('%s.%I', d.refobjid::regclass::text, a.attname) FROM pg_depend d
     JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a') AS owned_by
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE c.relkind = 'S' AND n.nspname = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')
ORDER BY c.oid::regclass::text COLLATE "C"`;

/**
 * Functions and procedures. `late` marks those that must follow the tables: a signature that
 * names a table's row type, or a SQL-standard body (BEGIN ATOMIC), which is bound at creation.
 * Other bodies are not checked at creation (the dump turns check_function_bodies off).
 */
export const FUNCTIONS = `
SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS signature,
  CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS kind,
  pg_get_functiondef(p.oid) AS definition,
  (p.prosqlbody IS NOT NULL OR EXISTS (
     SELECT FROM pg_type t JOIN pg_class r ON r.oid = t.typrelid
      WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND (t.oid = p.prorettype OR t.oid = ANY(p.proargtypes::oid[]) OR t.oid = ANY(coalesce(p.proallargtypes, '{}'::oid[]))))) AS late
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY($1) AND ${notExtensionMember('pg_proc', 'p.oid')}
ORDER BY format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) COLLATE "C"`;

/** Tables, partitioned tables and partitions. `depth` orders partitions after their parents. */
export const TABLES = `
WITH RECURSIVE tree AS (
  SELECT c.oid, 0 AS depth FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
  UNION ALL
  SELECT i.inhrelid, tree.depth + 1 FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid
)
SELECT c.oid::text AS oid, c.oid::regclass::text AS name, c.relkind AS kind, c.relpersistence AS persistence,
  c.relispartition AS is_partition, pg_get_partkeydef(c.oid) AS partition_key,
  pg_get_expr(c.relpartbound, c.oid) AS partition_bound,
  (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid) AS parent,
  c.reloptions AS options, c.relreplident AS replica_identity,
  (SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS replica_index,
  c.relrowsecurity AS row_security, c.relforcerowsecurity AS force_row_security
FROM tree JOIN pg_class c ON c.oid = tree.oid
WHERE ${notExtensionMember('pg_class', 'c.oid')}
ORDER BY tree.depth, c.oid::regclass::text COLLATE "C"`;

/**
 * Columns of the given tables. NOT NULL comes from attnotnull (PG18's contype 'n' rows are
 * ignored everywhere). attstattarget is -1 on 15 and NULL on 18 for "default".
 */
export const COLUMNS = `
SELECT a.attrelid::text AS table_oid, quote_ident(a.attname) AS name, format_type(a.atttypid, a.atttypmod) AS type,
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
    THEN (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS collation,
  CASE WHEN a.atthasdef THEN pg_get_expr(d.adbin, d.adrelid) END AS default_expr,
  a.attnotnull AS not_null, a.attidentity AS identity, a.attgenerated AS generated,
  coalesce(a.attstattarget::int, -1) AS stattarget,
  CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END AS storage,
  sq.seqrelid::regclass::text AS identity_sequence, format_type(sq.seqtypid, NULL) AS identity_type,
  sq.seqstart::text AS seq_start, sq.seqincrement::text AS seq_increment, sq.seqmin::text AS seq_min,
  sq.seqmax::text AS seq_max, sq.seqcache::text AS seq_cache, sq.seqcycle AS seq_cycle
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_depend dep ON a.attidentity <> '' AND dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
  AND dep.refobjid = a.attrelid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
LEFT JOIN pg_sequence sq ON sq.seqrelid = dep.objid
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

/**
 * Table constraints other than NOT NULL ('n', PG18 only). On partitions only the local ones:
 * those inherited from the parent are created by PARTITION OF.
 */
export const CONSTRAINTS = `
SELECT c.conrelid::text AS table_oid, c.conrelid::regclass::text AS table_name, quote_ident(c.conname) AS name,
  c.contype AS type, pg_get_constraintdef(c.oid) AS definition, c.convalidated AS validated
FROM pg_constraint c
WHERE c.conrelid = ANY($1::oid[]) AND c.contype IN ('p', 'u', 'c', 'x', 'f') AND c.conislocal AND c.conparentid = 0
ORDER BY c.conrelid::regclass::text COLLATE "C", CASE c.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2 WHEN 'c' THEN 3 ELSE 4 END, c.conname COLLATE "C"`;

/**
 * Indexes that no constraint creates, and that are not partitions of a parent's index
 * (creating the parent's index creates those).
 */
export const INDEXES = `
SELECT i.indrelid::regclass::text AS table_name, i.indexrelid::regclass::text AS name,
  pg_get_indexdef(i.indexrelid) AS definition, ic.reloptions AS options
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY($1::oid[]) AND NOT ic.relispartition
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x') AND c.conrelid = i.indrelid)
ORDER BY i.indrelid::regclass::text COLLATE "C", i.indexrelid::regclass::text COLLATE "C"`;

/** User triggers; those cloned onto partitions from a parent's trigger are skipped. */
export const TRIGGERS = `
SELECT t.tgrelid::regclass::text AS table_name, quote_ident(t.tgname) AS name, pg_get_triggerdef(t.oid) AS definition,
  t.tgenabled AS enabled
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname = ANY($1)
ORDER BY t.tgrelid::regclass::text COLLATE "C", t.tgname COLLATE "C"`;

export const POLICIES = `
SELECT p.polrelid::regclass::text AS table_name, quote_ident(p.polname) AS name, p.polpermissive AS permissive,
  p.polcmd AS command,
  array(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END FROM unnest(p.polroles) r ORDER BY 1) AS roles,
  pg_get_expr(p.polqual, p.polrelid) AS using_expr, pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1)
ORDER BY p.polrelid::regclass::text COLLATE "C", p.polname COLLATE "C"`;

/**
 * Views and materialized views, dumped with their bodies as pg_get_viewdef prints them, and the
 * views each one reads, for a dependency order. A single-table view's body is the one text
 * PostgreSQL 16+ prints differently from 15 (no redundant table qualifiers; see renderView):
 * the platform's views join tables, so schema.sql stays the same on both.
 */
export const VIEWS = `
SELECT c.oid::text AS oid, c.oid::regclass::text AS name, c.relkind AS kind, pg_get_viewdef(c.oid) AS definition,
  c.reloptions AS options,
  array(SELECT DISTINCT d.refobjid::text FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
        JOIN pg_class rc ON rc.oid = d.refobjid
        WHERE r.ev_class = c.oid AND d.refobjid <> c.oid AND rc.relkind IN ('v', 'm')) AS depends_on
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1) AND ${notExtensionMember('pg_class', 'c.oid')}
ORDER BY c.oid::regclass::text COLLATE "C"`;

/**
 * COMMENT ON statements for every commented object in the dumped schemas. The object's
 * schema decides whether it is in scope (for triggers, constraints and policies: their table's).
 */
export const COMMENTS = `
WITH described AS (
  SELECT d.description, o.type, o.identity,
    CASE d.classoid
      WHEN 'pg_namespace'::regclass THEN d.objoid
      WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = d.objoid)
      WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = d.objoid)
      WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.objoid)
      WHEN 'pg_constraint'::regclass THEN (SELECT connamespace FROM pg_constraint WHERE oid = d.objoid AND contype <> 'n')
      WHEN 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.oid = d.objoid)
      WHEN 'pg_policy'::regclass THEN (SELECT c.relnamespace FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE p.oid = d.objoid)
    END AS schema_oid,
    (d.classoid = 'pg_constraint'::regclass AND EXISTS (SELECT FROM pg_constraint c WHERE c.oid = d.objoid AND c.contypid <> 0)) AS on_domain
  FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
  WHERE NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = d.classoid AND x.objid = d.objoid AND x.deptype = 'e')
)
SELECT type, identity, quote_literal(description) AS text, on_domain
FROM described JOIN pg_namespace n ON n.oid = described.schema_oid
WHERE n.nspname = ANY($1)
ORDER BY identity COLLATE "C", type COLLATE "C"`;

/**
 * Object privileges as differences from the privileges the object would have by default:
 * `action` 'grant' for an entry the default lacks, 'revoke' for a default entry that is gone.
 * The baseline is the initial privileges initdb recorded (pg_init_privs: the public schema) or
 * else acldefault(). Entries of the object's owner are skipped (the dump sets no owners), and
 * so is MAINTAIN (PG17+ only: GRANT ALL means arwdDxt on 15 but arwdDxtm on 18).
 * Built-in functions are included too: their pg_proc rows belong to the database, and a
 * migration revokes some from PUBLIC. Only those with an ACL can differ from their baseline.
 */
export const OBJECT_PRIVILEGES = `
WITH objects AS (
  SELECT 1 AS ord, 'SCHEMA' AS kind, quote_ident(n.nspname) AS target, n.nspowner AS owner, n.nspacl AS acl, 'n'::"char" AS deftype,
    'pg_namespace'::regclass AS classid, n.oid AS objid
  FROM pg_namespace n WHERE n.nspname = ANY($1)
  UNION ALL
  SELECT 2, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, format_type(t.oid, NULL), t.typowner, t.typacl, 'T', 'pg_type'::regclass, t.oid
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid
  WHERE n.nspname = ANY($1) AND t.typtype IN ('e', 'd', 'c', 'r') AND (t.typrelid = 0 OR c.relkind = 'c')
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 3 ELSE 4 END, CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass::text,
    c.relowner, c.relacl, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", 'pg_class'::regclass, c.oid
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  UNION ALL
  SELECT 5, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
    format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)), p.proowner, p.proacl, 'f', 'pg_proc'::regclass, p.oid
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
  UNION ALL
  SELECT 5, 'FUNCTION', format('pg_catalog.%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)), p.proowner, p.proacl, 'f',
    'pg_proc'::regclass, p.oid
  FROM pg_proc p
  WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proacl IS NOT NULL
),
scoped AS (
  SELECT o.* FROM objects o
  WHERE NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = o.classid AND x.objid = o.objid AND x.deptype = 'e')
),
actual AS (
  SELECT s.ord, s.kind, s.target, s.owner, e.grantee, e.privilege_type, e.is_grantable
  FROM scoped s, LATERAL aclexplode(coalesce(s.acl, acldefault(s.deftype, s.owner))) e
),
baseline AS (
  SELECT s.ord, s.kind, s.target, s.owner, e.grantee, e.privilege_type, e.is_grantable
  FROM scoped s
  LEFT JOIN pg_init_privs ip ON ip.classoid = s.classid AND ip.objoid = s.objid AND ip.objsubid = 0,
  LATERAL aclexplode(coalesce(ip.initprivs, acldefault(s.deftype, s.owner))) e
),
changes AS (
  (SELECT 'grant' AS action, * FROM actual EXCEPT SELECT 'grant', * FROM baseline)
  UNION ALL
  (SELECT 'revoke', * FROM baseline EXCEPT SELECT 'revoke', * FROM actual)
)
SELECT ord, kind, target, action, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END AS grantee,
  privilege_type AS privilege, is_grantable AS grantable
FROM changes
WHERE grantee <> owner AND privilege_type <> 'MAINTAIN'
ORDER BY ord, target COLLATE "C", kind, action DESC, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END COLLATE "C", privilege_type COLLATE "C", is_grantable`;

/** Column-level privileges (columns have no default privileges, so these are all grants). */
export const COLUMN_PRIVILEGES = `
SELECT c.oid::regclass::text AS target, quote_ident(a.attname) AS column_name,
  CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(e.grantee)) END AS grantee,
  e.privilege_type AS privilege, e.is_grantable AS grantable
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace,
  LATERAL aclexplode(a.attacl) e
WHERE n.nspname = ANY($1) AND a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND e.grantee <> c.relowner
ORDER BY c.oid::regclass::text COLLATE "C", CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(e.grantee)) END COLLATE "C", e.privilege_type, a.attname COLLATE "C", e.is_grantable`;

/** The current database's privileges, as differences from acldefault('d'). */
export const DATABASE_PRIVILEGES = `
WITH db AS (SELECT datdba AS owner, datacl AS acl FROM pg_database WHERE datname = current_database()),
actual AS (SELECT e.* FROM db, LATERAL aclexplode(coalesce(db.acl, acldefault('d', db.owner))) e),
baseline AS (SELECT e.* FROM db, LATERAL aclexplode(acldefault('d', db.owner)) e),
changes AS (
  (SELECT 'grant' AS action, * FROM actual EXCEPT SELECT 'grant', * FROM baseline)
  UNION ALL
  (SELECT 'revoke', * FROM baseline EXCEPT SELECT 'revoke', * FROM actual)
)
SELECT action, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END AS grantee,
  privilege_type AS privilege, is_grantable AS grantable
FROM changes, db
WHERE grantee <> db.owner
ORDER BY action DESC, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END COLLATE "C", privilege_type COLLATE "C", is_grantable`;

/**
 * Default privileges (ALTER DEFAULT PRIVILEGES). Per-schema entries only ever add to the
 * built-in defaults; global entries replace them, so those are diffed against acldefault().
 * `for_role` is NULL when the entry belongs to the dumping user (who also ran the migrations),
 * so the dump does not name the administrator account it was made with.
 */
export const DEFAULT_PRIVILEGES = `
WITH entries AS (
  SELECT d.defaclrole, d.defaclnamespace, d.defaclobjtype, d.defaclacl,
    CASE d.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' END AS objects,
    CASE d.defaclobjtype WHEN 'S' THEN 's' ELSE d.defaclobjtype END::"char" AS deftype
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  WHERE d.defaclnamespace = 0 OR n.nspname = ANY($1)
),
actual AS (SELECT en.defaclrole, en.defaclnamespace, en.objects, e.* FROM entries en, LATERAL aclexplode(en.defaclacl) e),
baseline AS (SELECT en.defaclrole, en.defaclnamespace, en.objects, e.* FROM entries en, LATERAL aclexplode(acldefault(en.deftype, en.defaclrole)) e
             WHERE en.defaclnamespace = 0),
changes AS (
  (SELECT 'grant' AS action, * FROM actual EXCEPT SELECT 'grant', * FROM baseline)
  UNION ALL
  (SELECT 'revoke', * FROM baseline EXCEPT SELECT 'revoke', * FROM actual)
)
SELECT * FROM (
SELECT CASE WHEN pg_get_userbyid(defaclrole) = current_user THEN NULL ELSE quote_ident(pg_get_userbyid(defaclrole)) END AS for_role,
  CASE WHEN defaclnamespace = 0 THEN NULL ELSE (SELECT quote_ident(nspname) FROM pg_namespace WHERE oid = defaclnamespace) END AS schema,
  objects, action, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END AS grantee,
  privilege_type AS privilege, is_grantable AS grantable
FROM changes
WHERE grantee <> defaclrole
) d
ORDER BY for_role COLLATE "C" NULLS FIRST, schema COLLATE "C" NULLS FIRST, objects, action DESC, grantee COLLATE "C", privilege COLLATE "C", grantable`;

/** Roles that grants name (given quoted, as the privilege queries return them), minus built-in ones (pg_*, oid < 16384), which every cluster has. */
export const GRANTED_ROLES = `
SELECT quote_literal(r.rolname) AS literal, quote_ident(r.rolname) AS ident
FROM pg_roles r
WHERE r.oid >= 16384 AND quote_ident(r.rolname) = ANY($1)
ORDER BY r.rolname COLLATE "C"`;

/** The rows of kamailio.version, which Kamailio's modules check at startup. */
export const KAMAILIO_VERSION_ROWS = `
SELECT quote_literal(table_name) AS table_name, table_version::text AS table_version
FROM kamailio.version ORDER BY table_name COLLATE "C"`;

export const HAS_KAMAILIO_VERSION = `SELECT to_regclass('kamailio.version') IS NOT NULL AS present`;

/**
 * Settings stored for this database (ALTER DATABASE … SET) and for a role in it (ALTER ROLE …
 * IN DATABASE … SET): Kamailio finds its unqualified table names through the latter.
 */
export const DATABASE_SETTINGS = `
SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE quote_ident(pg_get_userbyid(s.setrole)) END AS role,
  split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value
FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) cfg
WHERE d.datname = current_database()
ORDER BY CASE WHEN s.setrole = 0 THEN NULL ELSE quote_ident(pg_get_userbyid(s.setrole)) END COLLATE "C" NULLS FIRST, cfg COLLATE "C"`;

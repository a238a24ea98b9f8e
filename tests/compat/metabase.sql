-- Source: metabase/metabase (https://github.com/metabase/metabase), PostgreSQL driver.
--   src/metabase/driver/postgres.clj (stored version 008fd667): literal SQL in db-default-timezone, enum-types,
--     current-user-table-privileges, set-timezone-sql; HoneySQL forms get-tables-sql, describe-fields-sql, describe-fks-sql.
--   src/metabase/driver/sql_jdbc/connection.clj (can-connect-with-spec? "SELECT 1") and
--     src/metabase/driver/sql_jdbc/execute.clj (set-timezone!: (format set-timezone-sql (str \' timezone \'))).
-- HoneySQL-generated statements are not literal in the source, so their exact wire text is taken from a published
--   capture of Metabase v0.62.1.5 syncing PostgreSQL 16 (file 'Captured from Metabase v0.62.1.5 ...', stored in the public
--   code index as file id 55699000340; its repository could not be identified through the index). That capture lists the
--   bound values, which are substituted here. The capture's describe-fields/describe-database are slightly newer than the
--   stored postgres.clj (extra database-default / database-is-generated / database-is-nullable columns, NULLIF on
--   n_live_tup); the wire text is kept as captured.
--   Cross-check: the same table-privileges query and startup sequence appear in the Metabase v0.55.1 server log posted in
--   datafusion-contrib/datafusion-postgres issue #158 (https://github.com/datafusion-contrib/datafusion-postgres/issues/158).
-- Out of scope (sent by the PostgreSQL JDBC driver, not by Metabase): SET application_name, SET extra_float_digits,
--   SET SESSION CHARACTERISTICS ..., SHOW TRANSACTION ISOLATION LEVEL, getSchemas/getColumns/getPrimaryKeys metadata SQL.
-- describe-indexes-sql is not included: index sync is disabled in this driver version and no captured wire text was found
--   (rendering it by hand with an older HoneySQL would not be verbatim).
-- '-- Metabase ...' first lines are SQL comments Metabase prepends to the statement text (remark), kept verbatim.
-- A terminating ';' was appended where Metabase sends none.

-- query: connect.can_connect
-- source: metabase/metabase src/metabase/driver/sql_jdbc/connection.clj can-connect-with-spec? (also #2 in published capture 'Captured from Metabase v0.62.1.5 syncing a real Postgres 16' (public code index, file id 55699000340))
-- expect: rows
SELECT 1;

-- query: connect.db_default_timezone
-- source: metabase/metabase src/metabase/driver/postgres.clj driver/db-default-timezone (also #10 in the v0.62.1.5 capture)
-- expect: rows
show timezone;

-- query: connect.set_report_timezone
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.execute/set-timezone-sql "SET SESSION TIMEZONE TO %s;" formatted by src/metabase/driver/sql_jdbc/execute.clj set-timezone! with report timezone 'UTC'
-- expect: empty
SET SESSION TIMEZONE TO 'UTC';

-- query: sync.table_privileges
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.sync/current-user-table-privileges (also #8 in the v0.62.1.5 capture)
-- expect: rows
with table_privileges as (
 select
   NULL as role,
   t.schemaname as schema,
   t.objectname as table,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'update') as update,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'select') as select,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'insert') as insert,
   pg_catalog.has_table_privilege(     current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'delete') as delete
 from (
   select schemaname, tablename as objectname from pg_catalog.pg_tables
   union
   select schemaname, viewname as objectname from pg_catalog.pg_views
   union
   select schemaname, matviewname as objectname from pg_catalog.pg_matviews
 ) t
 where t.schemaname !~ '^pg_'
   and t.schemaname <> 'information_schema'
   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
)
select t.*
from table_privileges t;

-- query: sync.describe_database
-- source: metabase/metabase src/metabase/driver/postgres.clj get-tables-sql via describe-database* (HoneySQL); wire text from #9 of published capture 'Captured from Metabase v0.62.1.5 syncing a real Postgres 16' (public code index, file id 55699000340) with $1=0, $2=0, $3='^pg_', $4='information_schema', $5='public'
-- expect: rows
SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", NULLIF("stat"."n_live_tup", 0) AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = 0) AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ '^pg_') AND ("n"."nspname" <> 'information_schema') AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ('public')) ORDER BY "type" ASC, "schema" ASC, "name" ASC;

-- query: sync.table_exists_check
-- source: Metabase sql-jdbc table existence check as reported in questdb/questdb issue #1577 (https://github.com/questdb/questdb/issues/1577), table name substituted
-- expect: empty
SELECT TRUE AS "_" FROM "public"."fact_enrollment" WHERE 1 <> 1 LIMIT 0;

-- query: sync.enum_types
-- source: metabase/metabase src/metabase/driver/postgres.clj enum-types (describe-fields-pre-process-xf / dynamic-database-types-lookup; also #11 in the v0.62.1.5 capture)
-- expect: any
SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e);

-- query: sync.describe_fields
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.sync/describe-fields-sql (HoneySQL); wire text from #12 of published capture 'Captured from Metabase v0.62.1.5 syncing a real Postgres 16' (public code index, file id 55699000340) with $1='ALWAYS', $2='public', $3='public'
-- expect: rows
SELECT "c"."column_name" AS "name", CASE WHEN "c"."udt_schema" IN ('public', 'pg_catalog') THEN FORMAT('%s', "c"."udt_name") ELSE FORMAT('"%s"."%s"', "c"."udt_schema", "c"."udt_name") END AS "database-type", "c"."ordinal_position" - 1 AS "database-position", "c"."table_schema" AS "table-schema", "c"."table_name" AS "table-name", "pk"."column_name" IS NOT NULL AS "pk?", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST("c"."table_schema" AS TEXT), CAST("c"."table_name" AS TEXT)) AS REGCLASS) AS OID), "c"."ordinal_position") AS "field-comment", (("column_default" IS NULL) OR (LOWER("column_default") = 'null')) AND ("is_nullable" = 'NO') AND NOT ((("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO')) AS "database-required", "column_default" AS "database-default", (("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO') AS "database-is-auto-increment", "is_generated" = 'ALWAYS' AS "database-is-generated", "is_nullable" = 'YES' AS "database-is-nullable" FROM "information_schema"."columns" AS "c" LEFT JOIN (SELECT "tc"."table_schema", "tc"."table_name", "kc"."column_name" FROM "information_schema"."table_constraints" AS "tc" INNER JOIN "information_schema"."key_column_usage" AS "kc" ON ("tc"."constraint_name" = "kc"."constraint_name") AND ("tc"."table_schema" = "kc"."table_schema") AND ("tc"."table_name" = "kc"."table_name") WHERE "tc"."constraint_type" = 'PRIMARY KEY') AS "pk" ON ("c"."table_schema" = "pk"."table_schema") AND ("c"."table_name" = "pk"."table_name") AND ("c"."column_name" = "pk"."column_name") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND ("c"."table_schema" IN ('public')) UNION ALL SELECT "pa"."attname" AS "name", CASE WHEN "ptn"."nspname" IN ('public', 'pg_catalog') THEN FORMAT('%s', "pt"."typname") ELSE FORMAT('"%s"."%s"', "ptn"."nspname", "pt"."typname") END AS "database-type", "pa"."attnum" - 1 AS "database-position", "pn"."nspname" AS "table-schema", "pc"."relname" AS "table-name", FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", NULL AS "database-default", FALSE AS "database-is-auto-increment", FALSE AS "database-is-generated", FALSE AS "database-is-nullable" FROM "pg_catalog"."pg_class" AS "pc" INNER JOIN "pg_catalog"."pg_namespace" AS "pn" ON "pn"."oid" = "pc"."relnamespace" INNER JOIN "pg_catalog"."pg_attribute" AS "pa" ON "pa"."attrelid" = "pc"."oid" INNER JOIN "pg_catalog"."pg_type" AS "pt" ON "pt"."oid" = "pa"."atttypid" INNER JOIN "pg_catalog"."pg_namespace" AS "ptn" ON "ptn"."oid" = "pt"."typnamespace" WHERE ("pc"."relkind" = 'm') AND ("pa"."attnum" >= 1) AND ("pn"."nspname" IN ('public')) ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC;

-- query: sync.describe_fks
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.sync/describe-fks-sql (HoneySQL); wire text from #15 of published capture 'Captured from Metabase v0.62.1.5 syncing a real Postgres 16' (public code index, file id 55699000340) with $1='public'
-- expect: rows
SELECT "fk_ns"."nspname" AS "fk-table-schema", "fk_table"."relname" AS "fk-table-name", "fk_column"."attname" AS "fk-column-name", "pk_ns"."nspname" AS "pk-table-schema", "pk_table"."relname" AS "pk-table-name", "pk_column"."attname" AS "pk-column-name" FROM "pg_constraint" AS "c" INNER JOIN "pg_class" AS "fk_table" ON "c"."conrelid" = "fk_table"."oid" INNER JOIN "pg_namespace" AS "fk_ns" ON "c"."connamespace" = "fk_ns"."oid" INNER JOIN "pg_attribute" AS "fk_column" ON "c"."conrelid" = "fk_column"."attrelid" INNER JOIN "pg_class" AS "pk_table" ON "c"."confrelid" = "pk_table"."oid" INNER JOIN "pg_namespace" AS "pk_ns" ON "pk_table"."relnamespace" = "pk_ns"."oid" INNER JOIN "pg_attribute" AS "pk_column" ON "c"."confrelid" = "pk_column"."attrelid" WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND ("c"."contype" = 'f'::char) AND ("fk_column"."attnum" = ANY(c.conkey)) AND ("pk_column"."attnum" = ANY(c.confkey)) AND ("fk_ns"."nspname" IN ('public')) ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC;

-- query: sync.fingerprint_sample
-- source: Metabase sync/fingerprint sample query, #17 of published capture 'Captured from Metabase v0.62.1.5 syncing a real Postgres 16' (public code index, file id 55699000340) (table/column names substituted)
-- expect: any
-- Metabase
	SELECT "public"."fact_enrollment"."student_key" AS "student_key" FROM "public"."fact_enrollment" LIMIT 10000;

-- query: query.gui_count
-- source: Metabase MBQL question compiled by the postgres driver, #20 of published capture 'Captured from Metabase v0.62.1.5 syncing a real Postgres 16' (public code index, file id 55699000340) (table name substituted)
-- expect: rows
-- Metabase:: userID: 1 queryType: MBQL queryHash: a54de39466cbf3e82ff09c5a9a2bccf1f922bf9fd59b2717c1ad5e09a1c0bfbc
	SELECT COUNT(*) AS "count" FROM "public"."fact_enrollment";

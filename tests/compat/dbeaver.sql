-- Source: dbeaver/dbeaver (https://github.com/dbeaver/dbeaver), plugin plugins/org.jkiss.dbeaver.ext.postgresql.
--   model/PostgreDataSource.java   (stored copy, header 'Copyright (C) 2010-2024 DBeaver Corp', uses PostgreUtils.isMetaObjectExists)
--   model/PostgreDatabase.java     (stored copy, 2010-2024)
--   model/PostgreSchema.java       (stored copy, 2010-2024)
--   model/PostgreExecutionContext.java (stored copy, 2010-2021; refreshDefaults)
--   model/PostgreDataTypeCache.java (getBaseTypeNameClause), PostgreUtils.java (getQueryForSystemColumnChecking)
-- Commits of these stored copies are not exposed by the index; versions are identified by their copyright header.
-- SQL is the exact concatenation of the Java string pieces for a PostgreSQL >= 12 server with default connection settings
-- (no object filters). JDBC '?' parameters are replaced by literals; OID parameters by
--   (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'), 'public.fact_enrollment'::regclass and
--   (SELECT oid FROM pg_catalog.pg_database WHERE datname = 'lyceum').
-- Cross-checks against published server logs of real DBeaver sessions: DBeaver 25.1.5 startup log in
--   datafusion-contrib/datafusion-postgres issue #135 (current_schema(),session_user; schemas query with '\n ORDER BY nspname'),
--   DBeaver 25.3.3 pg_stat_activity dump (columns query with dep.objid ... AND c.oid=$1), and Octo (YottaDB) DBeaver test
--   queries (constraint query with consrc_copy) - all match the text below.
-- browse.constraints uses the 'case when c.contype='c' ...' consrc_copy variant (supportsPGConstraintExpressionColumn), as seen
--   in the published captures. connect.current_database is only sent when the active database is not yet known.
-- Queries that DBeaver sends only via the JDBC driver (SET extra_float_digits, SET application_name, keyword list) are omitted.
-- A terminating ';' was appended (DBeaver sends none).

-- query: connect.current_database
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java loadAvailableDatabases() (bootstrap connection, when no active database is known)
-- expect: rows
SELECT current_database();

-- query: connect.database_list
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java prepareReadDatabaseListStatement() ("Show all databases" on, templates/unavailable hidden, ?='lyceum')
-- expect: rows
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE 1 = 1 AND datallowconn AND NOT datistemplate OR db.datname ='lyceum'
ORDER BY db.datname;

-- query: connect.database_info
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java readDatabaseInfo() (?='lyceum')
-- expect: rows
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname='lyceum';

-- query: connect.setting_standard_conforming_strings
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java SettingCache.prepareLookupStatement() preloaded in initializeRemoteInstance() (?='standard_conforming_strings')
-- expect: rows
select * from pg_catalog.pg_settings where name='standard_conforming_strings';

-- query: connect.server_version
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java initialize() "Read server information"
-- expect: rows
SELECT version();

-- query: connect.check_pg_enum
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java initialize() -> dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/PostgreUtils.java isMetaObjectExists(session, "pg_enum", "*") / getQueryForSystemColumnChecking()
-- expect: empty
SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1;

-- query: connect.check_pg_class_reltype
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java initialize() -> dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/PostgreUtils.java isMetaObjectExists(session, "pg_class", "reltype")
-- expect: empty
SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1;

-- query: connect.context_defaults
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreExecutionContext.java refreshDefaults()
-- expect: rows
SELECT current_schema(),session_user;

-- query: connect.search_path
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreExecutionContext.java refreshDefaults()
-- expect: rows
SHOW search_path;

-- query: connect.data_types
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java cacheDataTypes() (readAllTypes=false, server >= 10 so typcategory join used; base_type_name clause from dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataTypeCache.java getBaseTypeNameClause())
-- expect: rows
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem 
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C');

-- query: connect.enum_values
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java EnumValueCache.prepareObjectsStatement() (server >= 12, pg_enum present)
-- expect: any
SELECT * FROM pg_catalog.pg_enum;

-- query: browse.schemas
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java SchemaCache.prepareLookupStatement() (no schema filter)
-- expect: rows
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
 ORDER BY nspname;

-- query: browse.tables
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java TableCache.prepareLookupStatement() (server >= 10, all tables of schema public)
-- expect: rows
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public') AND c.relkind not in ('i','I','c');

-- query: browse.table_lookup
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java TableCache.prepareLookupStatement() for objectName 'fact_enrollment'
-- expect: rows
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public') AND c.relkind not in ('i','I','c') AND relname='fact_enrollment';

-- query: browse.columns
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java TableCache.prepareChildrenStatement() for one table (forTable != null)
-- expect: rows
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid='public.fact_enrollment'::regclass
ORDER BY a.attnum;

-- query: browse.columns_of_schema
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java TableCache.prepareChildrenStatement() for the whole schema (forTable == null)
-- expect: rows
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
ORDER BY a.attnum;

-- query: browse.constraints
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java ConstraintCache.prepareObjectsStatement() for one table (primary/foreign/unique/check keys)
-- expect: rows
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE c.conrelid='public.fact_enrollment'::regclass
ORDER BY c.oid;

-- query: browse.constraints_of_schema
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java ConstraintCache.prepareObjectsStatement() for the whole schema
-- expect: rows
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE t.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
ORDER BY c.oid;

-- query: browse.indexes
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java IndexCache.prepareObjectsStatement() for one table (server >= 7.4, relation size supported)
-- expect: rows
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  i.indrelid='public.fact_enrollment'::regclass ORDER BY c.relname;

-- query: browse.table_statistics
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java collectObjectStatistics()
-- expect: rows
select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size
FROM pg_class c
WHERE c.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public');

-- query: browse.table_inheritance
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreSchema.java cacheTableInheritance()
-- expect: empty
SELECT i.inhrelid relid, pc.relnamespace parent_ns, pc.oid parent_oid, i.inhseqno
FROM pg_catalog.pg_inherits i, pg_class rc, pg_class pc
WHERE rc.oid=i.inhrelid AND rc.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public') AND pc.oid=i.inhparent;

-- query: browse.database_size
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDataSource.java collectObjectStatistics() (single database)
-- expect: rows
SELECT db.datname,pg_database_size(db.oid) FROM pg_catalog.pg_database db WHERE db.oid=(SELECT oid FROM pg_catalog.pg_database WHERE datname = 'lyceum');

-- query: browse.database_description
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java getDescription() (?='lyceum')
-- expect: any
select description from pg_shdescription join pg_database on objoid = pg_database.oid where datname = 'lyceum';

-- query: browse.extensions
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java ExtensionCache.prepareObjectsStatement()
-- expect: any
SELECT 
 e.oid,
 cfg.tbls,
  n.nspname as schema_name,
 e.* 
FROM 
 pg_catalog.pg_extension e 
 join pg_namespace n on n.oid =e.extnamespace
 left join  (
         select
            ARRAY_AGG(ns.nspname || '.' ||  cls.relname) tbls, oid_ext
          from
            (
            select
                unnest(e1.extconfig) oid , e1.oid oid_ext
            from
                pg_catalog.pg_extension e1 ) c 
                join    pg_class cls on cls.oid = c.oid 
                join pg_namespace ns on ns.oid = cls.relnamespace
            group by oid_ext        
         ) cfg on cfg.oid_ext = e.oid
ORDER BY e.oid;

-- query: browse.access_methods
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/PostgreDatabase.java AccessMethodCache.prepareObjectsStatement()
-- expect: rows
SELECT am.oid,am.* FROM pg_catalog.pg_am am 
ORDER BY am.oid;

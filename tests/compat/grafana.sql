-- Source: grafana/grafana (https://github.com/grafana/grafana), PostgreSQL data source.
--   Current plugin: public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (stored version 12f912ab),
--     datasource.ts (stored version 04282cd9), configuration/useAutoDetectFeatures.ts (stored version 3af0110a),
--     pkg/tsdb/grafana-postgresql-datasource/schema.go (stored version 043dd88a, backend schema handler).
--   Legacy plugin (Grafana <= 9.x): public/app/plugins/datasource/postgres/meta_query.ts (stored version 027e669f)
--     and public/app/plugins/datasource/postgres/datasource.ts (stored version 01b1f535).
-- Read through the public source index; commits are those of the stored copies, not necessarily the newest.
-- Template literals were evaluated exactly as the TypeScript/Go code builds them (${buildSchemaConstraint()} etc. expanded,
-- whitespace kept); Go $1/$2 bind parameters replaced by literals. Leading/trailing blank lines trimmed and a
-- terminating ';' appended where the tool sends none. The '"$user"' inside the search_path expression is literal SQL text.
-- Health check (sqleng/pgx handler_checkhealth.go) only pings the driver and sends no SQL of its own, so it is not listed.
-- showSchemas() and showTables(schema) also exist in postgresMetaQuery.ts but are not called by datasource.ts in this version, so
-- they are not included.

-- query: connect.server_version
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getVersion() (called from configuration/useAutoDetectFeatures.ts)
-- expect: rows
SELECT current_setting('server_version_num')::int/100 as version;

-- query: connect.timescaledb_version
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getTimescaleDBVersion() (called from configuration/useAutoDetectFeatures.ts when version >= 906)
-- expect: empty
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb';

-- query: connect.server_version_legacy
-- source: grafana/grafana public/app/plugins/datasource/postgres/datasource.ts (legacy) getVersion()
-- expect: rows
SELECT current_setting('server_version_num')::int/100;

-- query: connect.test_datasource_legacy
-- source: grafana/grafana public/app/plugins/datasource/postgres/datasource.ts (legacy) testDatasource()
-- expect: rows
SELECT 1;

-- query: browse.tables
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts showTables() with no schema (datasource.ts fetchTables)
-- expect: rows
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1;

-- query: browse.columns
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getSchema('fact_enrollment') (datasource.ts fetchFields)
-- expect: rows
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('fact_enrollment'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('fact_enrollment'))[1]
          AND quote_ident(table_name) = (parse_ident('fact_enrollment'))[2]
        ELSE quote_ident(table_name) = 'fact_enrollment'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END;

-- query: browse.columns_qualified
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getSchema('public.fact_enrollment') (datasource.ts fetchFields)
-- expect: rows
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('public.fact_enrollment'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('public.fact_enrollment'))[1]
          AND quote_ident(table_name) = (parse_ident('public.fact_enrollment'))[2]
        ELSE quote_ident(table_name) = 'public.fact_enrollment'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END;

-- query: browse.schemas
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go querySchemas()
-- expect: rows
SELECT schema_name FROM information_schema.schemata
		 WHERE schema_name NOT LIKE 'pg_%' AND schema_name != 'information_schema'
		 ORDER BY schema_name;

-- query: browse.tables_in_schema
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go queryTables() with $1='public'
-- expect: rows
SELECT table_name FROM information_schema.tables
		 WHERE table_schema = 'public' AND table_type IN ('BASE TABLE', 'VIEW')
		 ORDER BY table_name;

-- query: browse.columns_in_table
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go queryColumns() with $1='public', $2='fact_enrollment'
-- expect: rows
SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale
		 FROM information_schema.columns
		 WHERE table_schema = 'public' AND table_name = 'fact_enrollment'
		 ORDER BY ordinal_position;

-- query: legacy.find_metric_table
-- source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (legacy query builder) findMetricTable()
-- expect: any
SELECT
	quote_ident(table_name) as table_name,
	( SELECT
	    quote_ident(column_name) as column_name
	  FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name IN ('timestamptz','timestamp')
    ORDER BY ordinal_position LIMIT 1
  ) AS time_column,
  ( SELECT
      quote_ident(column_name) AS column_name
    FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name='float8'
    ORDER BY ordinal_position LIMIT 1
  ) AS value_column
FROM information_schema.tables t
WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) AND
  EXISTS
  ( SELECT 1
    FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name IN ('timestamptz','timestamp')
  ) AND
  EXISTS
  ( SELECT 1
    FROM information_schema.columns c
    WHERE
      c.table_schema = t.table_schema AND
      c.table_name = t.table_name AND
      udt_name='float8'
  )
LIMIT 1
;

-- query: legacy.tables
-- source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (legacy query builder) buildTableQuery()
-- expect: rows
SELECT quote_ident(table_name) FROM information_schema.tables WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) ORDER BY table_name;

-- query: legacy.columns
-- source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (legacy query builder) buildColumnQuery() for table 'fact_enrollment'
-- expect: rows
SELECT quote_ident(column_name) FROM information_schema.columns WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) AND table_name = 'fact_enrollment' ORDER BY column_name;

-- query: legacy.time_columns
-- source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (legacy query builder) buildColumnQuery('time') for table 'fact_enrollment'
-- expect: any
SELECT quote_ident(column_name) FROM information_schema.columns WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) AND table_name = 'fact_enrollment' AND data_type IN ('timestamp without time zone','timestamp with time zone','bigint','integer','double precision','real') ORDER BY column_name;

-- query: legacy.column_datatype
-- source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (legacy query builder) buildDatatypeQuery('student_key') for table 'fact_enrollment'
-- expect: rows
SELECT udt_name FROM information_schema.columns WHERE 
table_schema IN (
  SELECT
    CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
  FROM
    generate_series(
      array_lower(string_to_array(current_setting('search_path'),','),1),
      array_upper(string_to_array(current_setting('search_path'),','),1)
    ) as i,
    string_to_array(current_setting('search_path'),',') s
) AND table_name = 'fact_enrollment' AND column_name = 'student_key';

-- query: legacy.aggregate_functions
-- source: grafana/grafana public/app/plugins/datasource/postgres/meta_query.ts (legacy query builder) buildAggregateQuery()
-- expect: rows
SELECT DISTINCT proname FROM pg_aggregate INNER JOIN pg_proc ON pg_aggregate.aggfnoid = pg_proc.oid INNER JOIN pg_type ON pg_type.oid=pg_proc.prorettype WHERE pronargs=1 AND typname IN ('float8') AND aggkind='n' ORDER BY 1;

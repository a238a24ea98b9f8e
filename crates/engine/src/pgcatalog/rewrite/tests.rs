use datafusion::sql::parser::DFParserBuilder;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;

use super::*;

fn rewritten(sql: &str) -> String {
    let dialect = PostgreSqlDialect {};
    let statement = DFParserBuilder::new(sql)
        .with_dialect(&dialect)
        .build()
        .and_then(|mut p| p.parse_statement())
        .expect("parses");
    rewrite(statement).to_string()
}

#[test]
fn unnamed_items_get_postgres_names() {
    assert_eq!(
        rewritten("select count(*), max(x) from t"),
        "SELECT count(*) AS \"count\", max(x) AS \"max\" FROM t"
    );
    assert_eq!(
        rewritten("select 1, x::int, '7'::integer as seven"),
        "SELECT 1 AS \"?column?\", x::INT AS \"x\", '7'::INTEGER AS seven"
    );
    // Repeated names are marked for DataFusion, which needs unique ones.
    assert_eq!(
        rewritten("select count(*), count(y), null, null from t"),
        "SELECT count(*) AS \"count\", count(y) AS \"count\u{E000}1\", \
         NULL AS \"?column?\", NULL AS \"?column?\u{E000}1\" FROM t"
    );
    assert_eq!(client_name("count\u{E000}1"), "count");
    assert!(rewritten("select version()").contains("AS \"version\""));
    assert!(rewritten("select a, b from t").ends_with("SELECT a, b FROM t"));
}

#[test]
fn subquery_forms_become_aggregates() {
    let sql = rewritten(
        "SELECT ARRAY(SELECT b.rolname FROM pg_catalog.pg_roles b WHERE b.oid = r.oid \
         ORDER BY 1) AS memberof FROM pg_catalog.pg_roles r",
    );
    assert!(
        sql.contains(
            "coalesce((SELECT array_agg(b.rolname ORDER BY b.rolname) FROM pg_catalog.pg_roles b"
        ),
        "{sql}"
    );
    let sql = rewritten(
        "SELECT (SELECT t.typname FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) \
         FROM pg_catalog.pg_attribute a",
    );
    assert!(sql.contains("(SELECT first_value(t.typname) FROM"), "{sql}");
    // Other conditions on a correlated column name the inner column it equals.
    let sql = rewritten(
        "SELECT (SELECT c.relname FROM pg_catalog.pg_class c, pg_catalog.pg_type t \
         WHERE c.oid = a.attrelid AND t.oid = a.atttypid \
         AND a.attrelid <> t.typrelid) FROM pg_catalog.pg_attribute a",
    );
    assert!(
        sql.contains("c.oid = a.attrelid AND t.oid = a.atttypid AND c.oid <> t.typrelid"),
        "{sql}"
    );
    // A condition on outer columns only guards the lookup.
    let sql = rewritten(
        "SELECT (SELECT d.description FROM pg_catalog.pg_description d \
         WHERE d.objoid = a.attrelid AND a.attnotnull) FROM pg_catalog.pg_attribute a",
    );
    assert!(
        sql.contains("CASE WHEN (a.attnotnull) THEN (SELECT first_value(d.description)"),
        "{sql}"
    );
    // Not over catalog relations, or already aggregated: left alone.
    let sql = rewritten("SELECT (SELECT x FROM t WHERE t.a = u.a) FROM u");
    assert!(!sql.contains("first_value"), "{sql}");
    let sql = rewritten("SELECT (SELECT max(x) FROM pg_class) FROM u");
    assert!(!sql.contains("first_value"), "{sql}");
}

#[test]
fn scans_of_always_empty_catalog_tables_drop_their_subqueries() {
    let sql = rewritten(
        "SELECT pol.polname, array(select rolname from pg_catalog.pg_roles \
         where oid = any (pol.polroles)) FROM pg_catalog.pg_policy pol",
    );
    assert!(sql.starts_with("SELECT pol.polname, NULL"), "{sql}");
    // Not when the scanned table has rows.
    let sql = rewritten(
        "SELECT array(select rolname from pg_catalog.pg_roles where oid = c.relowner) \
         FROM pg_catalog.pg_class c",
    );
    assert!(sql.contains("array_agg"), "{sql}");
}

#[test]
fn reg_casts_of_oids_print_names() {
    let sql = rewritten(
        "SELECT c.oid::pg_catalog.regclass, c.relname FROM pg_class c \
         WHERE c.oid = 'x'::regclass ORDER BY c.oid::regclass::text",
    );
    assert!(
        sql.starts_with("SELECT lyceum_regclass_out(lyceum_regclass(c.oid)) AS \"oid\""),
        "{sql}"
    );
    assert!(
        sql.ends_with("ORDER BY lyceum_regclass_out(lyceum_regclass(c.oid))"),
        "{sql}"
    );
    assert!(!sql.contains("WHERE c.oid = lyceum"), "{sql}");
    let sql = rewritten("SELECT t.typname FROM pg_type t WHERE t.oid = a::regtype");
    assert!(!sql.contains("format_type"), "{sql}");
}

#[test]
fn from_clause_functions_system_columns_and_escapes() {
    let sql =
        rewritten("SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s");
    assert!(sql.contains("generate_series(1, 2) AS i (i)"), "{sql}");
    assert!(
        sql.contains("(SELECT string_to_array('a,b', ',') AS \"s\") s"),
        "{sql}"
    );
    let sql = rewritten("SELECT cls.tableoid FROM pg_catalog.pg_class cls");
    assert!(sql.starts_with("SELECT 1259 AS tableoid"), "{sql}");
    let sql = rewritten("SELECT 1 FROM t WHERE n NOT LIKE 'pg!_%' ESCAPE '!'");
    assert!(sql.ends_with("NOT LIKE 'pg\\_%'"), "{sql}");
    let sql = rewritten(
        "SELECT (SELECT count(1) FROM pg_catalog.pg_inherits WHERE inhrelid = c.oid LIMIT 1) FROM pg_catalog.pg_class c",
    );
    assert!(!sql.contains("LIMIT"), "{sql}");
}

#[test]
fn catalog_spellings_are_normalised() {
    let sql = rewritten("select pg_catalog.format_type(1, 2) from pg_class");
    assert!(sql.contains("format_type(1, 2)"), "{sql}");
    assert!(sql.contains("pg_catalog.pg_class"), "{sql}");
}

#[test]
fn vector_subscripts_count_from_zero() {
    let sql = rewritten("SELECT i.indkey[ia.attnum - 1], indkey[0] FROM pg_catalog.pg_index i");
    assert!(sql.contains("i.indkey[(ia.attnum - 1) + 1]"), "{sql}");
    assert!(sql.contains("indkey[(0) + 1]"), "{sql}");
    let sql = rewritten("SELECT a[1] FROM t");
    assert!(sql.contains("a[1]"), "{sql}");
}

#[test]
fn in_and_exists_subqueries_in_select_lists_become_values() {
    let sql = rewritten(
        "SELECT CASE WHEN n.nspname IN (SELECT trim(s) FROM unnest(current_schemas(false)) AS s) \
         THEN 0 ELSE 1 END FROM pg_catalog.pg_namespace n",
    );
    assert!(
        sql.contains("coalesce(array_has((SELECT array_agg(TRIM(s))"),
        "{sql}"
    );
    // In a filter DataFusion plans it: left alone.
    let sql =
        rewritten("SELECT 1 FROM pg_class c WHERE c.relname IN (SELECT relname FROM pg_class)");
    assert!(sql.contains("IN (SELECT"), "{sql}");
    // Not over the warehouse's tables either.
    let sql = rewritten("SELECT x IN (SELECT y FROM fact_enrollment) FROM t");
    assert!(sql.contains("IN (SELECT"), "{sql}");
    let sql = rewritten(
        "SELECT EXISTS(SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = att.attrelid \
         AND att.attnum = ANY(conkey)) AS is_fk FROM pg_catalog.pg_attribute att",
    );
    assert!(
        sql.contains(
            "(SELECT count(*) FROM (SELECT *, unnest(conkey) AS __lyceum_any0 \
             FROM pg_catalog.pg_constraint) AS pg_constraint WHERE conrelid = att.attrelid \
             AND __lyceum_any0 = att.attnum) > 0"
        ),
        "{sql}"
    );
}

#[test]
fn distinct_on_with_subqueries_is_computed_below_the_distinct() {
    let sql = rewritten(
        "SELECT DISTINCT ON (a.attnum) a.attname AS name, \
         (SELECT t.typname FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid) AS typ \
         FROM pg_catalog.pg_attribute a ORDER BY a.attnum, name LIMIT 5",
    );
    assert!(
        sql.starts_with("SELECT DISTINCT ON (__lyceum_k0) * EXCLUDE (__lyceum_k0) FROM (SELECT"),
        "{sql}"
    );
    assert!(sql.contains("a.attnum AS __lyceum_k0 FROM"), "{sql}");
    assert!(sql.ends_with("ORDER BY __lyceum_k0, name LIMIT 5"), "{sql}");
    // Without subqueries DataFusion plans DISTINCT ON itself.
    let sql = rewritten("SELECT DISTINCT ON (a) a, b FROM t ORDER BY a");
    assert_eq!(sql, "SELECT DISTINCT ON (a) a, b FROM t ORDER BY a");
}

#[test]
fn recursion_through_empty_tables_ends_and_trivial_ctes_inline() {
    let sql = rewritten(
        "SELECT ARRAY(WITH RECURSIVE cte AS (SELECT pg_roles.oid, pg_roles.rolname FROM pg_roles \
         WHERE pg_roles.oid = r.oid UNION ALL SELECT m.roleid, pgr.rolname FROM cte c \
         JOIN pg_auth_members m ON m.member = c.oid JOIN pg_roles pgr ON pgr.oid = m.roleid) \
         SELECT rolname FROM cte) FROM pg_catalog.pg_roles r",
    );
    assert!(!sql.contains("WITH"), "{sql}");
    assert!(sql.contains("array_agg(pg_roles.rolname)"), "{sql}");
    // A recursion that can find rows stays.
    let sql = rewritten(
        "WITH RECURSIVE c AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM c WHERE n < 3) \
         SELECT n FROM c",
    );
    assert!(sql.starts_with("WITH RECURSIVE c AS"), "{sql}");
}

"""The analyst SQL suite (queries/*.sql) on Lyceum must equal DuckDB on the same snapshot.

Every query runs unchanged on Lyceum (`LYCEUM_BIN sql --warehouse WH --format csv SQL`) and on
an in-memory DuckDB whose views read the very Parquet files of the warehouse's latest catalog
version. Results must match row by row (numbers within 1e-6 absolute + 1e-9 relative, text
exactly, NULL = NULL). A difference is a bug in Lyceum or a non-portable query: fix it, never
widen the tolerance. See oracle.py for the pieces and synth.py for a quick check without the
binary.

    LYCEUM_BIN=target/release/lyceum pytest tests/python -v
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle  # noqa: E402

QUERIES = oracle.load_queries()


def test_query_files_have_headers():
    assert len(QUERIES) >= 20, "expected >= 20 query files in %s, found %d" % (
        oracle.QUERIES_DIR, len(QUERIES))
    problems = []
    for q in QUERIES:
        m = re.match(r"^(\d\d)_[a-z0-9_]+$", q.name)
        header = oracle.header_comment(q.sql)
        if not m:
            problems.append("%s: file name is not NN_short_name.sql" % q.name)
            continue
        if not header or not re.match(r"^-- KPI %s: \S" % m.group(1), header[0]):
            problems.append("%s: first line must be '-- KPI %s: <question>'" % (q.name, m.group(1)))
        if len(header) < 3:
            problems.append("%s: header comment should also say what it answers, the grain "
                            "and the tables it reads" % q.name)
        body = "\n".join(line.split("--", 1)[0] for line in q.sql.splitlines())
        if ";" in oracle.strip_sql(body):
            problems.append("%s: more than one statement (a ';' before the end)" % q.name)
        if "ORDER BY" not in body.upper():
            problems.append("%s: no ORDER BY (results must be totally ordered)" % q.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_query_matches_duckdb(query, warehouse, duck, query_times):
    expected = oracle.run_duckdb(duck, query.sql)
    query_times[query.name] = {"rows": len(expected.rows), "duckdb_seconds": expected.seconds,
                               "lyceum_seconds": None}
    actual = oracle.run_lyceum(warehouse, query.sql)
    query_times[query.name]["lyceum_seconds"] = actual.seconds
    diff = oracle.compare(expected, actual, "duckdb", "lyceum")
    assert diff is None, "%s: Lyceum's result differs from DuckDB's\n%s" % (query.name, diff)
    assert expected.rows, ("%s returned no rows on the generated warehouse on both engines: "
                           "a KPI query must have rows on real data" % query.name)

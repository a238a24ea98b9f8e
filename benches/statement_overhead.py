#!/usr/bin/env python3
"""Benchmark: the fixed cost of one statement over the Postgres wire protocol, Lyceum on a
warehouse with 2 versions and with 2,000 versions, and PostgreSQL 15 on the same machine.

Two statements are timed, each `--n` times after a warm-up of `--warmup`, one psycopg
connection per server, autocommit, simple query protocol: `SELECT 1` and a KPI point query
(one course offering's enrollments, DFW count and mean grade points, fact_enrollment joined
to dim_course, filtered by course_key and term_key). Each statement is timed on the client
from send to the last row fetched; p50 and p99 are reported in ms, with Lyceum's p50 as a
ratio of its own on 2 versions (the number of versions should not matter: about 1.0) and of
PostgreSQL's. Figures are for reading, never asserted.

    cargo build --release --bin lyceum
    python3 benches/statement_overhead.py --lyceum target/release/lyceum [--versions 2000]

The warehouse is built in a temporary directory (`lyceum generate --scale 0.01`, then
`lyceum load`: versions 0 and 1). The 2,000-version case adds versions through the server:
`CREATE TABLE sandbox.bench_t`, then one autocommitted `INSERT` a version, and is measured
on a freshly started server. PostgreSQL gets dim_department, dim_course and fact_enrollment
from Lyceum itself (`lyceum sql --format csv`, then COPY), an index on
fact_enrollment (course_key, term_key), and `VACUUM ANALYZE`; its data directory is a
throwaway cluster (tests/python/pg_reference.py). Lyceum's server runs with its default log
filter, not the test harness's `info`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from lyceum_server import LyceumServer  # noqa: E402
from pg_reference import PostgresReference  # noqa: E402

PG_TABLES = ("dim_department", "dim_course", "fact_enrollment")
KPI_SQL = """SELECT c.course_id, count(*) AS enrollments,
       sum(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) AS dfw_count,
       avg(e.grade_points) AS mean_grade_points
FROM fact_enrollment e JOIN dim_course c ON c.course_key = e.course_key
WHERE e.course_key = %d AND e.term_key = %d
GROUP BY c.course_id"""


def lyceum_sql(lyceum, warehouse, sql, stdout=subprocess.PIPE):
    """`lyceum sql --format csv`: the CSV text, or None when written to `stdout`."""
    return subprocess.run([str(lyceum), "sql", "--warehouse", str(warehouse), "--format", "csv",
                           "--", sql], check=True, text=True, stdout=stdout).stdout


def time_statement(conn, sql, n, warmup):
    """p50 and p99 in ms of `n` executions (after `warmup`), and the rows of the last one."""
    samples = []
    for i in range(warmup + n):
        start = time.perf_counter()
        rows = conn.execute(sql, prepare=False).fetchall()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            samples.append(elapsed * 1000)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": q[49], "p99_ms": q[98]}, rows


def comparable(rows):
    """KPI rows with the mean rounded: the servers' numeric types differ."""
    return [(r[0], int(r[1]), int(r[2]), round(float(r[3]), 6)) for r in rows]


def versions(conn):
    return conn.execute("SELECT count(*) FROM system.snapshots").fetchone()[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lyceum", required=True, help="the lyceum binary (release build)")
    ap.add_argument("--n", type=int, default=2000, help="statements timed per case and query")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--versions", type=int, default=2000,
                    help="warehouse versions in the second case")
    ap.add_argument("--scale", default="0.01", help="scale factor of the generated warehouse")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import psycopg

    password = os.environ.get("LYCEUM_ADMIN_PASSWORD", "lyceum-bench")
    # An empty LYCEUM_LOG means the server's own default filter.
    server_env = {"LYCEUM_LOG": ""}
    results = []
    expected = None

    def record(case, conn, kpi_sql):
        nonlocal expected
        for query, sql in (("SELECT 1", "SELECT 1"), ("KPI point query", kpi_sql)):
            figures, rows = time_statement(conn, sql, args.n, args.warmup)
            if query != "SELECT 1":
                if expected is None:
                    expected = comparable(rows)
                elif comparable(rows) != expected:
                    raise SystemExit("%s answered %r, not %r" % (case, rows, expected))
            results.append({"case": case, "query": query, **figures})
            print("  %-15s p50 %7.3f ms  p99 %7.3f ms" % (query, figures["p50_ms"],
                                                          figures["p99_ms"]), flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        source, warehouse = Path(tmp) / "source", Path(tmp) / "warehouse"
        subprocess.run([str(args.lyceum), "generate", "--scale", args.scale, "--out",
                        str(source)], check=True, capture_output=True)
        subprocess.run([str(args.lyceum), "load", "--source", str(source), "--warehouse",
                        str(warehouse)], check=True, capture_output=True)
        # The largest graded course offering, so the point query aggregates more than a few
        # rows and the mean is not NULL.
        course_key, term_key = map(int, lyceum_sql(
            args.lyceum, warehouse,
            "SELECT course_key, term_key FROM fact_enrollment WHERE grade_points IS NOT NULL "
            "GROUP BY course_key, term_key ORDER BY count(*) DESC, course_key, term_key "
            "LIMIT 1").split()[1].split(","))
        kpi_sql = KPI_SQL % (course_key, term_key)

        with PostgresReference() as pg:
            with psycopg.connect(**pg.conninfo(), autocommit=True) as c:
                for table in PG_TABLES:
                    csv_path = Path(tmp) / ("%s.csv" % table)
                    with open(csv_path, "w") as f:
                        lyceum_sql(args.lyceum, warehouse, "SELECT * FROM public.%s" % table,
                                   stdout=f)
                    with c.cursor().copy("COPY public.%s FROM STDIN (FORMAT csv, HEADER true)"
                                         % table) as copy:
                        copy.write(csv_path.read_bytes())
                c.execute("CREATE INDEX ON public.fact_enrollment (course_key, term_key)")
                for table in PG_TABLES:
                    c.execute("VACUUM ANALYZE public.%s" % table)
            print("PostgreSQL 15", flush=True)
            with psycopg.connect(pg.tcp_conninfo(), autocommit=True) as c:
                record("PostgreSQL 15", c, kpi_sql)

        with LyceumServer(args.lyceum, warehouse, password=password, env=server_env) as server:
            with psycopg.connect(**server.conninfo(), autocommit=True) as c:
                first = versions(c)
                print("Lyceum, %d versions" % first, flush=True)
                record("Lyceum, %d versions" % first, c, kpi_sql)
                # Each autocommitted sandbox statement commits one warehouse version.
                c.execute("CREATE TABLE sandbox.bench_t (x integer)")
                have, inserts, start = versions(c), 0, time.perf_counter()
                while have < args.versions:
                    c.execute("INSERT INTO sandbox.bench_t VALUES (1)")
                    have, inserts = have + 1, inserts + 1
                    if have % 100 == 0 or have == args.versions:
                        print("  committed version %d of %d (%.0f ms a commit)" % (
                            have, args.versions,
                            (time.perf_counter() - start) * 1000 / inserts), flush=True)
                have = versions(c)
        with LyceumServer(args.lyceum, warehouse, password=password, env=server_env) as server:
            with psycopg.connect(**server.conninfo(), autocommit=True) as c:
                print("Lyceum, %d versions" % have, flush=True)
                record("Lyceum, %d versions" % have, c, kpi_sql)

    pg_p50 = {r["query"]: r["p50_ms"] for r in results if r["case"] == "PostgreSQL 15"}
    base_p50 = {r["query"]: r["p50_ms"] for r in results if r["case"] == "Lyceum, %d versions"
                % first}
    for r in results:
        if r["case"] != "PostgreSQL 15":
            r["vs_%d_versions" % first] = r["p50_ms"] / base_p50[r["query"]]
            r["vs_postgres"] = r["p50_ms"] / pg_p50[r["query"]]
    print()
    print("| case | query | p50 ms | p99 ms | p50 / %d versions | p50 / PostgreSQL |" % first)
    print("|---|---|---:|---:|---:|---:|")
    order = ["Lyceum, %d versions" % first, "Lyceum, %d versions" % have, "PostgreSQL 15"]
    for r in sorted(results, key=lambda r: (r["query"] != "SELECT 1", order.index(r["case"]))):
        print("| %s | %s | %.3f | %.3f | %s | %s |" % (
            r["case"], r["query"], r["p50_ms"], r["p99_ms"],
            "%.2f" % r["vs_%d_versions" % first] if "vs_postgres" in r else "",
            "%.2f" % r["vs_postgres"] if "vs_postgres" in r else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"n": args.n, "warmup": args.warmup, "scale": args.scale,
             "kpi_sql": kpi_sql, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

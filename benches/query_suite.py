#!/usr/bin/env python3
"""Benchmark: the analyst suite (queries/*.sql) on Lyceum vs DuckDB over the same snapshot.

Lyceum is measured through its Postgres wire endpoint (one psycopg connection to
`lyceum serve`, so the snapshot is opened once, as a BI tool would see it); DuckDB runs
in-process over the very Parquet files the same warehouse version pins. Each query runs
`--repeat` times after one warm-up; the median is reported, with the ratio Lyceum / DuckDB.
Figures are for reading, never asserted.

    python3 benches/query_suite.py --lyceum target/release/lyceum --warehouse WH [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
import oracle  # noqa: E402
from lyceum_server import LyceumServer  # noqa: E402


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lyceum", required=True, help="path of the lyceum binary (release build)")
    ap.add_argument("--warehouse", required=True, help="a loaded warehouse directory")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import psycopg

    password = os.environ.get("LYCEUM_ADMIN_PASSWORD", "lyceum-bench")
    with LyceumServer(args.lyceum, args.warehouse, password=password) as server:
        conn = psycopg.connect(**server.conninfo(), autocommit=True)
        duck = oracle.duckdb_connection(oracle.snapshot_files(args.warehouse))
        rows = []
        for q in oracle.load_queries(ROOT / "queries"):
            sql = oracle.strip_sql(q.sql)

            def on_lyceum():
                cur = conn.cursor()
                cur.execute(sql, prepare=False)
                cur.fetchall()

            t_lyceum = timed(on_lyceum, args.repeat)
            t_duck = timed(lambda: duck.execute(sql).fetchall(), args.repeat)
            rows.append({"query": q.name, "lyceum_s": t_lyceum, "duckdb_s": t_duck,
                         "ratio": t_lyceum / t_duck if t_duck else None})
            print("%-42s lyceum %8.3fs  duckdb %8.3fs  ratio %6.1fx" % (
                q.name, t_lyceum, t_duck, rows[-1]["ratio"] or 0), flush=True)
        total_l = sum(r["lyceum_s"] for r in rows)
        total_d = sum(r["duckdb_s"] for r in rows)
        print("%-42s lyceum %8.3fs  duckdb %8.3fs  ratio %6.1fx" % ("TOTAL", total_l, total_d, total_l / total_d))
        if args.json:
            Path(args.json).write_text(json.dumps({"queries": rows, "total_lyceum_s": total_l,
                                                   "total_duckdb_s": total_d}, indent=2))
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

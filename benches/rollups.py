#!/usr/bin/env python3
"""Benchmark: dashboard queries answered from rollups vs the base tables vs DuckDB.

Creates the default rollups (queries/rollups/default.sql) in WAREHOUSE if they are not
there (this changes the warehouse: use a copy), then, through one psycopg connection to
`lyceum serve`, times each dashboard query with `lyceum.rollups` on and off (the result
cache off for both), warm from the result cache, and DuckDB in-process over the Parquet
files the same warehouse version pins. Also times `REFRESH MATERIALIZED VIEW` of each
rollup (a full rebuild). Medians of `--repeat` runs after one warm-up; figures are for
reading, never asserted.

    python3 benches/rollups.py --lyceum target/release/lyceum --warehouse WH [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "benches"))
import oracle  # noqa: E402
from lyceum_server import LyceumServer  # noqa: E402
from query_suite import timed  # noqa: E402

ROLLUPS = ROOT / "queries" / "rollups" / "default.sql"


def statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lyceum", required=True, help="path of the lyceum binary (release build)")
    ap.add_argument("--warehouse", required=True, help="a loaded warehouse directory (rollups are added to it)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import psycopg

    password = os.environ.get("LYCEUM_ADMIN_PASSWORD", "lyceum-bench")
    with LyceumServer(args.lyceum, args.warehouse, password=password) as server:
        conn = psycopg.connect(**server.conninfo(), autocommit=True)
        t0 = time.perf_counter()
        for ddl in statements(ROLLUPS):
            conn.execute(ddl)
        created_s = time.perf_counter() - t0
        print("default rollups created (or already there) in %.2fs" % created_s, flush=True)
        duck = oracle.duckdb_connection(oracle.snapshot_files(args.warehouse))

        def run(sql):
            cur = conn.cursor()
            cur.execute(sql, prepare=False)
            cur.fetchall()

        rows = []
        for q in oracle.load_queries(ROOT / "queries"):
            sql = oracle.strip_sql(q.sql)
            explained = conn.execute("EXPLAIN " + sql).fetchall()
            used = [r[1] for r in explained if r[0] == "rollup" and r[1].startswith("used ")]
            if not used:
                continue
            conn.execute("SET lyceum.result_cache = off")
            conn.execute("SET lyceum.rollups = off")
            t_off = timed(lambda: run(sql), args.repeat)
            conn.execute("SET lyceum.rollups = on")
            t_on = timed(lambda: run(sql), args.repeat)
            conn.execute("SET lyceum.result_cache = on")
            t_cached = timed(lambda: run(sql), args.repeat)
            t_duck = timed(lambda: duck.execute(sql).fetchall(), args.repeat)
            rows.append({"query": q.name, "rollup": used[0][5:], "off_s": t_off, "on_s": t_on,
                         "cached_s": t_cached, "duckdb_s": t_duck})
            print("%-38s off %8.1fms  on %7.1fms (%6.1fx)  cached %6.1fms  duckdb %7.1fms (%6.1fx)" % (
                q.name, t_off * 1e3, t_on * 1e3, t_off / t_on, t_cached * 1e3, t_duck * 1e3, t_duck / t_on),
                flush=True)
        refresh = []
        for ddl in statements(ROLLUPS):
            name = ddl.split()[6]
            t0 = time.perf_counter()
            conn.execute("REFRESH MATERIALIZED VIEW " + name)
            refresh.append({"rollup": name, "refresh_s": time.perf_counter() - t0})
            print("REFRESH %-32s %7.2fs" % (name, refresh[-1]["refresh_s"]), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps({"queries": rows, "refresh": refresh,
                                                   "created_s": created_s}, indent=2))
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: a full pull of `fact_attendance` into Python, three ways, in one run.

- Flight SQL: `adbc_driver_flightsql` DB-API, `cursor.fetch_arrow_table()` (a pyarrow.Table);
- Postgres wire: psycopg 3 with binary results, `fetchall()` (Python tuples: what a
  notebook on psycopg gets);
- DuckDB: `read_parquet` of the same Parquet files the warehouse version pins, straight
  into a pyarrow.Table (`.arrow()`): no server, no network, the floor to compare with.

Flight and DuckDB run `--repeat` times after one warm-up, psycopg `--pg-repeat` times
(minutes each at SF1); the best time is reported as rows/s and
MB/s (MB of the Arrow result), with ratios: Flight over psycopg (goal >= 10x) and DuckDB
over Flight (goal <= 2x). Figures are for reading, never asserted.

    cargo build --release --bin lyceum
    python3 benches/flight_pull.py --lyceum target/release/lyceum --scale 1 [--json out.json]

The warehouse is generated and loaded in a temporary directory unless --warehouse names
one. The server runs with its default settings on ephemeral loopback ports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from lyceum_server import LyceumServer  # noqa: E402
import oracle  # noqa: E402

SQL = "SELECT * FROM fact_attendance"


def best_of(repeat, pull, warm_up=True):
    """(best seconds, rows, arrow bytes) of `repeat` pulls, after one warm-up if asked."""
    if warm_up:
        pull()
    best = None
    rows = nbytes = 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows, nbytes = pull()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best, rows, nbytes


def flight_pull(server):
    import adbc_driver_flightsql.dbapi as flightsql

    def pull():
        conn = flightsql.connect(server.flight_uri(), db_kwargs={
            "username": "admin", "password": server.password})
        try:
            with conn.cursor() as cur:
                cur.execute(SQL)
                table = cur.fetch_arrow_table()
        finally:
            conn.close()
        return table.num_rows, table.nbytes
    return pull


def psycopg_pull(server, nbytes_of_arrow):
    import psycopg

    def pull():
        with psycopg.connect(**server.conninfo(), autocommit=True) as conn:
            with conn.cursor(binary=True) as cur:
                cur.execute(SQL)
                rows = cur.fetchall()
        return len(rows), nbytes_of_arrow
    return pull


def duckdb_pull(files):
    import duckdb

    def pull():
        con = duckdb.connect()
        try:
            table = con.execute("SELECT * FROM read_parquet(?)", [files]).to_arrow_table()
        finally:
            con.close()
        return table.num_rows, table.nbytes
    return pull


def build_warehouse(lyceum, scale, root):
    src, wh = root / "src", root / "wh"
    subprocess.run([str(lyceum), "generate", "--scale", str(scale), "--out", str(src)],
                   check=True, capture_output=True)
    subprocess.run([str(lyceum), "load", "--source", str(src), "--warehouse", str(wh)],
                   check=True, capture_output=True)
    return wh


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lyceum", required=True, help="the lyceum binary (a release build)")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--warehouse", help="an existing warehouse instead of a generated one")
    ap.add_argument("--repeat", type=int, default=3,
                    help="timed pulls of Flight and DuckDB (after a warm-up)")
    ap.add_argument("--pg-repeat", type=int, default=1, help="timed pulls of psycopg")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="lyceum-flight-bench-") as tmp:
        wh = Path(args.warehouse) if args.warehouse else build_warehouse(
            args.lyceum, args.scale, Path(tmp))
        files = oracle.snapshot_files(wh)["fact_attendance"]
        results = {}
        with LyceumServer(args.lyceum, wh, env={"LYCEUM_LOG": "warn"}) as server:
            results["flight_adbc"] = best_of(args.repeat, flight_pull(server))
            arrow_bytes = results["flight_adbc"][2]
            # Minutes per pull at SF1: once, without a warm-up (the server's caches are
            # warm from the Flight pulls).
            results["psycopg_binary"] = best_of(args.pg_repeat, psycopg_pull(server, arrow_bytes),
                                                warm_up=False)
        results["duckdb_parquet"] = best_of(args.repeat, duckdb_pull(files))
    figures = {}
    for name, (seconds, rows, nbytes) in results.items():
        figures[name] = {"seconds": round(seconds, 3), "rows": rows,
                         "rows_per_s": round(rows / seconds),
                         "mb_per_s": round(nbytes / 1e6 / seconds, 1)}
        print("%-15s %9.3f s  %10d rows  %12.0f rows/s  %8.1f MB/s" % (
            name, seconds, rows, rows / seconds, nbytes / 1e6 / seconds))
    flight = figures["flight_adbc"]["seconds"]
    figures["ratios"] = {
        "flight_speedup_over_psycopg": round(figures["psycopg_binary"]["seconds"] / flight, 2),
        "flight_time_over_duckdb": round(flight / figures["duckdb_parquet"]["seconds"], 2),
    }
    print("Flight is %.1fx psycopg (goal >= 10x); Flight takes %.2fx DuckDB's time (goal <= 2x)"
          % (figures["ratios"]["flight_speedup_over_psycopg"],
             figures["ratios"]["flight_time_over_duckdb"]))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

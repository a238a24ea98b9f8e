#!/usr/bin/env python3
"""Benchmark: a dashboard under load. CLIENTS concurrent psycopg connections to one
`lyceum serve` on loopback each refresh a page of KPI tiles (dashboard queries of
`queries/`) PAGES times, in three configurations run one after the other on the same
server and warehouse version:

  base     lyceum.rollups = off, lyceum.result_cache = off  (every tile scans the facts)
  rollups  lyceum.rollups = on,  lyceum.result_cache = off
  cached   lyceum.rollups = on,  lyceum.result_cache = on

Reported per configuration: tile latency p50 / p99 (seconds, as the client saw it),
tiles per second over the run, errors. The default rollups (queries/rollups/default.sql)
are created first if missing (this changes the warehouse: use a copy). Figures are for
reading, never asserted.

    python3 benches/dashboard_load.py --lyceum target/release/lyceum --warehouse WH \
        [--clients 64] [--pages 5] [--tiles 01,16,17]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "benches"))
import oracle  # noqa: E402
from lyceum_server import LyceumServer  # noqa: E402
from rollups import ROLLUPS, statements  # noqa: E402

CONFIGS = {
    "base": ("off", "off"),
    "rollups": ("on", "off"),
    "cached": ("on", "on"),
}


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100.0 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def run_config(server, tiles, clients, pages, rollups, cache):
    import psycopg

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def client():
        mine, failed = [], []
        try:
            conn = psycopg.connect(**server.conninfo(), autocommit=True)
            conn.execute(f"SET lyceum.rollups = {rollups}")
            conn.execute(f"SET lyceum.result_cache = {cache}")
        except Exception as e:  # noqa: BLE001 - a refused client is a figure, not a crash
            with lock:
                errors.append(f"connect: {e}")
            ready.wait()
            return
        ready.wait()
        for _ in range(pages):
            for sql in tiles:
                t0 = time.perf_counter()
                try:
                    cur = conn.cursor()
                    cur.execute(sql, prepare=False)
                    cur.fetchall()
                    mine.append(time.perf_counter() - t0)
                except Exception as e:  # noqa: BLE001
                    failed.append(str(e).splitlines()[0])
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "tiles": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "p50_s": percentile(latencies, 50),
        "p99_s": percentile(latencies, 99),
        "mean_s": statistics.fmean(latencies) if latencies else float("nan"),
        "tiles_per_s": len(latencies) / wall if wall > 0 else float("nan"),
        "wall_s": wall,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lyceum", required=True, help="path of the lyceum binary (release build)")
    ap.add_argument("--warehouse", required=True, help="a loaded warehouse directory (rollups are added to it)")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--pages", type=int, default=5, help="page refreshes per client")
    ap.add_argument("--tiles", default="01,16,17", help="query numbers of the page's tiles")
    ap.add_argument("--configs", default="base,rollups,cached")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import psycopg

    wanted = args.tiles.split(",")
    queries = {q.name[:2]: oracle.strip_sql(q.sql) for q in oracle.load_queries(ROOT / "queries")}
    missing = [t for t in wanted if t not in queries]
    if missing:
        print(f"no such queries: {missing}", file=sys.stderr)
        return 2
    tiles = [queries[t] for t in wanted]
    password = os.environ.get("LYCEUM_ADMIN_PASSWORD", "lyceum-bench")
    results = {}
    with LyceumServer(args.lyceum, args.warehouse, "--max-connections", args.clients + 8,
                      password=password) as server:
        with psycopg.connect(**server.conninfo(), autocommit=True) as conn:
            for ddl in statements(ROLLUPS):
                conn.execute(ddl)
            for sql in tiles:
                conn.execute(sql).fetchall()  # warm the table state and the OS cache
        for name in args.configs.split(","):
            rollups, cache = CONFIGS[name]
            r = run_config(server, tiles, args.clients, args.pages, rollups, cache)
            results[name] = r
            print(f"{name:8s} {r['tiles']:6d} tiles  p50 {r['p50_s'] * 1000:9.1f} ms  "
                  f"p99 {r['p99_s'] * 1000:9.1f} ms  {r['tiles_per_s']:8.1f} tiles/s  "
                  f"errors {r['errors']}" + (f" ({r['first_error']})" if r["first_error"] else ""),
                  flush=True)
    if "base" in results:
        for name, r in results.items():
            if name != "base" and r["p50_s"] > 0:
                print(f"{name}: p50 {results['base']['p50_s'] / r['p50_s']:.1f}x faster than base, "
                      f"p99 {results['base']['p99_s'] / r['p99_s']:.1f}x, "
                      f"throughput {r['tiles_per_s'] / results['base']['tiles_per_s']:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"clients": args.clients, "pages": args.pages,
                                               "tiles": wanted, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

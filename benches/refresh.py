#!/usr/bin/env python3
"""Benchmark: refreshing the default rollups after a load that adds one term, incrementally
(what the load does) vs a full rebuild (`REFRESH MATERIALIZED VIEW`), on the same version.

Generates two extracts of the same university (same seed and scale): one as of BEFORE and
one as of AFTER, chosen so that exactly one more term is complete in the later one (the
generator's later extract is a superset of the earlier). Loads the first, creates the
default rollups (queries/rollups/default.sql), loads the second (`lyceum load --json`:
its report says, per rollup, how it was refreshed, from how many rows and in how long),
then times a full rebuild of each rollup on that same version. Figures are for reading,
never asserted.

    python3 benches/refresh.py --lyceum target/release/lyceum --scale 1 \
        --before 2024-08-20 --after 2024-12-31 --work /tmp/refresh-bench
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from lyceum_server import LyceumServer  # noqa: E402

ROLLUPS = ROOT / "queries" / "rollups" / "default.sql"


def statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def run(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, done.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lyceum", required=True, help="path of the lyceum binary (release build)")
    ap.add_argument("--scale", default="1")
    ap.add_argument("--before", required=True, help="as-of date of the first extract")
    ap.add_argument("--after", required=True, help="as-of date of the second (one more term)")
    ap.add_argument("--work", required=True, help="a scratch directory (emptied)")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import psycopg

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse"
    for name, as_of in (("before", args.before), ("after", args.after)):
        secs, _ = run([args.lyceum, "generate", "--scale", args.scale, "--as-of", as_of,
                       "--out", str(work / name)])
        print(f"generated {name} (as of {as_of}) in {secs:.1f}s", flush=True)
    secs, _ = run([args.lyceum, "load", "--source", str(work / "before"), "--warehouse", str(warehouse)])
    print(f"loaded before in {secs:.1f}s", flush=True)

    password = os.environ.get("LYCEUM_ADMIN_PASSWORD", "lyceum-bench")
    with LyceumServer(args.lyceum, str(warehouse), password=password) as server:
        conn = psycopg.connect(**server.conninfo(), autocommit=True)
        t0 = time.perf_counter()
        for ddl in statements(ROLLUPS):
            conn.execute(ddl)
        print(f"default rollups created in {time.perf_counter() - t0:.1f}s", flush=True)
        conn.close()

    load_s, out = run([args.lyceum, "load", "--source", str(work / "after"), "--warehouse",
                       str(warehouse), "--json"])
    report = json.loads(out)
    changed = report.get("tables_changed", {})
    print(f"loaded after in {load_s:.1f}s; tables changed: {changed}", flush=True)

    rows = []
    with LyceumServer(args.lyceum, str(warehouse), password=password) as server:
        conn = psycopg.connect(**server.conninfo(), autocommit=True)
        for done in report.get("rollups_refreshed", []):
            name = done["rollup"]
            t0 = time.perf_counter()
            conn.execute(f"REFRESH MATERIALIZED VIEW {name}")
            full_s = time.perf_counter() - t0
            rows.append({**done, "full_s": full_s})
        conn.close()

    print()
    print("| rollup | groups | load's refresh | rows read | time | full rebuild | ratio |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in rows:
        read = f"{r['rows_read']:,}" if r.get("rows_read") is not None else "all"
        print(f"| {r['rollup']} | {r['rows']:,} | {r['mode']} | {read} | {r['seconds']:.2f} s "
              f"| {r['full_s']:.2f} s | {r['full_s'] / max(r['seconds'], 1e-9):.1f}x |")
    if args.json:
        Path(args.json).write_text(json.dumps({"load_s": load_s, "tables_changed": changed,
                                               "rollups": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

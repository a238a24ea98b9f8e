#!/usr/bin/env python3
"""Benchmark: returning 1M and 10M rows of a fact table over the Postgres wire protocol,
Lyceum vs PostgreSQL 15 serving the same rows on the same machine.

One client (`wire_client`, a tokio-postgres program in crates/server/examples) reads
`SELECT * FROM <table> LIMIT n` from each server, in text (simple protocol) and binary
(extended protocol, binary results), counting rows and the bytes read from the socket.
Each case runs `--repeat` times after one warm-up; the median is reported as rows/s and
MB/s, with Lyceum's throughput as a ratio of PostgreSQL's. Figures are for reading, never
asserted.

    cargo build --release --bin lyceum --example wire_client
    python3 benches/pg_wire.py --lyceum target/release/lyceum --warehouse WH [--repeat 3]

PostgreSQL gets the table's rows from Lyceum itself (`lyceum sql --format csv`, then
COPY), so both serve identical values; its data directory is a throwaway cluster
(tests/python/pg_reference.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "python"))
from lyceum_server import LyceumServer  # noqa: E402
from pg_reference import PostgresReference  # noqa: E402


def measure(client, conninfo, fmt, sql, repeat):
    """Median seconds of `repeat` runs (after a warm-up) and the rows and bytes of one."""
    runs = []
    for i in range(repeat + 1):
        out = subprocess.run([str(client), conninfo, fmt, sql], check=True,
                             capture_output=True, text=True).stdout
        if i:
            runs.append(json.loads(out))
    seconds = statistics.median(r["seconds"] for r in runs)
    return seconds, runs[0]["rows"], runs[0]["bytes"]


def largest_fact(lyceum, warehouse):
    out = subprocess.run([str(lyceum), "sql", "--warehouse", str(warehouse), "--format", "csv",
                          "--", "SELECT table_name FROM information_schema.tables "
                          "WHERE table_schema = 'public' AND table_name LIKE 'fact_%'"],
                         check=True, capture_output=True, text=True).stdout.split()[1:]
    counts = {}
    for t in out:
        n = subprocess.run([str(lyceum), "sql", "--warehouse", str(warehouse), "--format", "csv",
                            "--", "SELECT count(*) FROM public.%s" % t], check=True,
                           capture_output=True, text=True).stdout.split()[1]
        counts[t] = int(n)
    table = max(counts, key=counts.get)
    return table, counts[table]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lyceum", required=True, help="the lyceum binary (release build)")
    ap.add_argument("--client", default=str(ROOT / "target" / "release" / "examples" /
                                            "wire_client"))
    ap.add_argument("--warehouse", required=True, help="a loaded warehouse (SF1 has 10M+ rows)")
    ap.add_argument("--table", help="the table to read (default: the largest fact table)")
    ap.add_argument("--rows", default="1000000,10000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()

    import psycopg

    sizes = [int(n) for n in args.rows.split(",")]
    table, available = (args.table, None) if args.table else largest_fact(args.lyceum,
                                                                          args.warehouse)
    if available is not None and available < max(sizes):
        print("%s has %d rows; fewer than %d" % (table, available, max(sizes)), file=sys.stderr)
        return 2
    password = os.environ.get("LYCEUM_ADMIN_PASSWORD", "lyceum-bench")
    results = []
    with PostgresReference() as pg, tempfile.TemporaryDirectory() as tmp:
        # The same rows into PostgreSQL: Lyceum's CSV, then COPY.
        csv_path = Path(tmp) / "rows.csv"
        with open(csv_path, "w") as f:
            subprocess.run([str(args.lyceum), "sql", "--warehouse", str(args.warehouse),
                            "--format", "csv", "--",
                            "SELECT * FROM public.%s LIMIT %d" % (table, max(sizes))],
                           check=True, stdout=f)
        with psycopg.connect(**pg.conninfo(), autocommit=True) as c:
            c.execute("ALTER TABLE public.%s DISABLE TRIGGER ALL" % table)
            for (fk,) in c.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = 'public.%s'::regclass "
                    "AND contype = 'f'" % table).fetchall():
                c.execute("ALTER TABLE public.%s DROP CONSTRAINT %s" % (table, fk))
            with c.cursor().copy("COPY public.%s FROM STDIN (FORMAT csv, HEADER true)"
                                 % table) as copy:
                with open(csv_path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
            c.execute("VACUUM ANALYZE public.%s" % table)
        with LyceumServer(args.lyceum, args.warehouse, password=password) as lyceum:
            info = lyceum.conninfo()
            lyceum_conn = "host=%s port=%d user=%s password=%s dbname=%s" % (
                info["host"], info["port"], info["user"], info["password"], info["dbname"])
            for n in sizes:
                sql = "SELECT * FROM public.%s LIMIT %d" % (table, n)
                for fmt in ("text", "binary"):
                    row = {"rows": n, "format": fmt}
                    for name, conninfo in (("lyceum", lyceum_conn),
                                           ("postgres", pg.tcp_conninfo())):
                        seconds, got, nbytes = measure(args.client, conninfo, fmt, sql,
                                                       args.repeat)
                        if got != n:
                            raise SystemExit("%s returned %d rows, not %d" % (name, got, n))
                        row[name] = {"seconds": seconds, "bytes": nbytes,
                                     "rows_per_s": n / seconds,
                                     "mb_per_s": nbytes / seconds / 1e6}
                    row["ratio"] = row["lyceum"]["rows_per_s"] / row["postgres"]["rows_per_s"]
                    results.append(row)
                    print("%9d %-6s  lyceum %9.0f rows/s %7.1f MB/s | postgres %9.0f rows/s "
                          "%7.1f MB/s | lyceum/postgres %.2f" % (
                              n, fmt, row["lyceum"]["rows_per_s"], row["lyceum"]["mb_per_s"],
                              row["postgres"]["rows_per_s"], row["postgres"]["mb_per_s"],
                              row["ratio"]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"table": table, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

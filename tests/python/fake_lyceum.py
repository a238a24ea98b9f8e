#!/usr/bin/env python3
"""A stand-in for the lyceum binary, to self-test the oracle harness without Rust.

    LYCEUM_BIN=tests/python/fake_lyceum.py pytest tests/python

generate --scale S --out DIR [--seed N]   records the seed (the data come from synth.py)
load --source DIR --warehouse WH          writes synth.py's Delta warehouse to WH
sql --warehouse WH --format csv SQL       runs SQL on python-DataFusion, prints CSV
                                          (header line, NULL = empty field, true/false)
It is NOT Lyceum: a green run with it only proves the harness and the queries' portability.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fake_lyceum")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--scale", default="0.01")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=7)
    lo = sub.add_parser("load")
    lo.add_argument("--source", required=True)
    lo.add_argument("--warehouse", required=True)
    s = sub.add_parser("sql")
    s.add_argument("--warehouse", required=True)
    s.add_argument("--format", default="csv", choices=["csv"])
    s.add_argument("sql")
    a = ap.parse_args(argv)

    if a.cmd == "generate":
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "manifest.json").write_text(json.dumps({"seed": a.seed, "scale": a.scale}))
        return 0
    if a.cmd == "load":
        import synth
        seed = json.loads((Path(a.source) / "manifest.json").read_text())["seed"]
        synth.write_warehouse(synth.Synth(seed).build(), Path(a.warehouse))
        return 0
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import oracle
    runner = oracle.DataFusionRunner(oracle.snapshot_files(a.warehouse))
    table = runner.ctx.sql(oracle.strip_sql(a.sql)).to_arrow_table()
    table = table.cast(pa.schema([
        pa.field(f.name, pa.string() if f.type == pa.string_view() else f.type)
        for f in table.schema]))
    # Booleans as true/false, NULL as an empty field, like arrow-rs's CSV writer.
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True))
    sys.stdout.write(sink.getvalue().to_pybytes().decode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

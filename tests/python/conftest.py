"""Fixtures for the analyst-suite oracle tests (test_queries.py).

Environment:
  LYCEUM_BIN        path of the lyceum binary (required; the tests fail without it).
  LYCEUM_WAREHOUSE  optional: an existing warehouse to test instead of generating one.
  LYCEUM_SCALE      optional: scale factor for `lyceum generate` (default 0.01).
  LYCEUM_SEED       optional: seed for `lyceum generate` (default 7).

Per-query wall times on both engines are written to <basetemp>/query_times.json (the parent
of the generated warehouse's directory) and printed in the terminal summary. They are
recorded, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oracle  # noqa: E402

QUERY_TIMES: dict = {}
_TIMES_PATH: list = []


def _lyceum_bin() -> str:
    b = os.environ.get("LYCEUM_BIN")
    if not b:
        pytest.fail("LYCEUM_BIN is not set: export LYCEUM_BIN=/path/to/lyceum (e.g. "
                    "target/release/lyceum) to run the DuckDB oracle tests", pytrace=False)
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        pytest.fail("LYCEUM_BIN=%s is not an executable file" % b, pytrace=False)
    return b


def _run(cmd, what):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail("%s failed (exit %d): %s\nstdout:\n%s\nstderr:\n%s" % (
            what, proc.returncode, " ".join(map(str, cmd)), proc.stdout[-3000:],
            proc.stderr[-3000:]), pytrace=False)


@pytest.fixture(scope="session")
def lyceum_bin() -> str:
    return _lyceum_bin()


@pytest.fixture(scope="session")
def warehouse(lyceum_bin, tmp_path_factory) -> Path:
    """A warehouse made by `lyceum generate` + `lyceum load` (or $LYCEUM_WAREHOUSE)."""
    root = tmp_path_factory.mktemp("lyceum")
    _TIMES_PATH.append(root.parent / "query_times.json")
    if os.environ.get("LYCEUM_WAREHOUSE"):
        return Path(os.environ["LYCEUM_WAREHOUSE"])
    src, wh = root / "src", root / "wh"
    _run([lyceum_bin, "generate", "--scale", os.environ.get("LYCEUM_SCALE", "0.01"),
          "--out", src, "--seed", os.environ.get("LYCEUM_SEED", "7")], "lyceum generate")
    _run([lyceum_bin, "load", "--source", src, "--warehouse", wh], "lyceum load")
    return wh


@pytest.fixture(scope="session")
def snapshot(warehouse):
    """{table: [parquet files]} of the warehouse's latest catalog version."""
    files = oracle.snapshot_files(warehouse)
    missing = [t for t in oracle.STAR_TABLES if not files.get(t)]
    if missing:
        print("note: star tables without data files in the snapshot: %s" % missing)
    return files


@pytest.fixture(scope="session")
def duck(snapshot):
    con = oracle.duckdb_connection(snapshot)
    yield con
    con.close()


@pytest.fixture(scope="session")
def query_times():
    yield QUERY_TIMES
    if QUERY_TIMES and _TIMES_PATH:
        try:
            _TIMES_PATH[0].write_text(json.dumps(QUERY_TIMES, indent=1, sort_keys=True))
        except OSError:
            pass


def pytest_terminal_summary(terminalreporter):
    if not QUERY_TIMES:
        return
    tr = terminalreporter
    tr.section("analyst query wall times (seconds; recorded, not asserted)")
    tr.write_line("%-42s %8s %10s %10s" % ("query", "rows", "duckdb", "lyceum"))
    for name in sorted(QUERY_TIMES):
        t = QUERY_TIMES[name]
        tr.write_line("%-42s %8s %10s %10s" % (
            name, t.get("rows", "-"),
            "%.3f" % t["duckdb_seconds"] if t.get("duckdb_seconds") is not None else "-",
            "%.3f" % t["lyceum_seconds"] if t.get("lyceum_seconds") is not None else "-"))
    if _TIMES_PATH:
        tr.write_line("written to %s" % _TIMES_PATH[0])

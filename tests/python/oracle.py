"""DuckDB oracle for Lyceum's analyst SQL suite (queries/*.sql).

The same SQL text runs on Lyceum (DataFusion 55) and on DuckDB over the very Parquet files
of one warehouse snapshot; the results must be identical up to float formatting.

Pieces (all importable, no pytest dependency):

- ``parse_schema_sql()``      the star-schema contract (schema.sql) as ordered column lists.
- ``snapshot_files(wh, v)``   {table: [parquet paths]} of warehouse version v (latest if None),
                              resolved through ``_lyceum/versions/<v:020>.json`` and the Delta
                              log of each table pinned at its ``delta_version``.
- ``duckdb_connection(files)`` in-memory DuckDB with one VIEW per star table (typed exactly as
                              schema.sql), or an empty table when a table has no files.
- ``run_duckdb`` / ``run_lyceum`` / ``run_datafusion``   -> ``Result(columns, rows, seconds)``.
- ``compare(expected, actual)`` -> None when equal, else a human-readable report.

CLI (ad-hoc check of a warehouse against a Lyceum binary):
    python tests/python/oracle.py --warehouse WH [--version N] [--query 05] [--lyceum BIN]
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
QUERIES_DIR = REPO_ROOT / "queries"

# Relative and absolute tolerance for numeric cells: |a-b| <= ABS_TOL + REL_TOL * max(|a|,|b|).
REL_TOL = 1e-9
ABS_TOL = 1e-6

STAR_TABLES = (
    "dim_date", "dim_term", "dim_department", "dim_program", "dim_course", "dim_section",
    "dim_instructor", "dim_student", "fact_enrollment", "fact_performance", "fact_attendance",
    "fact_student_term", "fact_degree", "fact_feedback",
)


# ----------------------------------------------------------------------------- schema.sql

def find_schema_sql() -> Path:
    """schema.sql: $LYCEUM_SCHEMA_SQL, else the repo's copy, else shared/ beside the repo."""
    candidates = []
    if os.environ.get("LYCEUM_SCHEMA_SQL"):
        candidates.append(Path(os.environ["LYCEUM_SCHEMA_SQL"]))
    candidates += [
        REPO_ROOT / "crates" / "catalog" / "schema.sql",
        REPO_ROOT.parent / "shared" / "schema.sql",
        Path("/work/shared/schema.sql"),
    ]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError("schema.sql not found; set LYCEUM_SCHEMA_SQL (tried: %s)"
                            % ", ".join(str(c) for c in candidates))


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str      # e.g. "DECIMAL(3,1)", "VARCHAR", "SMALLINT"
    nullable: bool


_CREATE_RE = re.compile(r"CREATE\s+TABLE\s+(\w+)\s*\((.*?)\n\);", re.S | re.I)
_COL_RE = re.compile(r"^\s*(\w+)\s+([A-Z]+(?:\s*\(\s*\d+\s*(?:,\s*\d+\s*)?\))?)(.*)$", re.I)


def parse_schema_sql(path: Optional[Path] = None) -> Dict[str, List[Column]]:
    """{table: [Column...]} in declaration order, from schema.sql's CREATE TABLE blocks."""
    text = Path(path or find_schema_sql()).read_text()
    tables: Dict[str, List[Column]] = {}
    for name, body in _CREATE_RE.findall(text):
        cols: List[Column] = []
        for raw in body.split("\n"):
            line = raw.split("--", 1)[0].strip().rstrip(",").strip()
            if not line or re.match(r"(PRIMARY|FOREIGN|UNIQUE|CONSTRAINT|CHECK)\b", line, re.I):
                continue
            m = _COL_RE.match(line)
            if not m:
                raise ValueError("cannot parse column line in %s: %r" % (name, raw))
            rest = m.group(3).upper()
            nullable = "NOT NULL" not in rest and "PRIMARY KEY" not in rest
            cols.append(Column(m.group(1).lower(), re.sub(r"\s+", "", m.group(2).upper()), nullable))
        tables[name.lower()] = cols
    if not tables:
        raise ValueError("no CREATE TABLE found in schema.sql")
    return tables


def duckdb_type(sql_type: str) -> str:
    """schema.sql type -> DuckDB type (CHAR(n)/VARCHAR(n) are plain VARCHAR in DuckDB)."""
    if sql_type.startswith(("VARCHAR", "CHAR")):
        return "VARCHAR"
    return sql_type


def arrow_type(sql_type: str):
    """schema.sql type -> pyarrow type, per the mapping in schema.sql's header."""
    import pyarrow as pa
    t = sql_type.upper()
    m = re.match(r"DECIMAL\((\d+),(\d+)\)", t)
    if m:
        return pa.decimal128(int(m.group(1)), int(m.group(2)))
    base = t.split("(")[0]
    return {
        "INTEGER": pa.int32(), "INT": pa.int32(), "BIGINT": pa.int64(), "SMALLINT": pa.int16(),
        "VARCHAR": pa.string(), "CHAR": pa.string(), "TEXT": pa.string(), "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
    }[base]


def arrow_schema(columns: Sequence[Column]):
    import pyarrow as pa
    return pa.schema([pa.field(c.name, arrow_type(c.sql_type), nullable=c.nullable) for c in columns])


# ----------------------------------------------------------------------------- warehouse

def manifest_path(warehouse_dir, version: int) -> Path:
    return Path(warehouse_dir) / "_lyceum" / "versions" / ("%020d.json" % version)


def list_versions(warehouse_dir) -> List[int]:
    d = Path(warehouse_dir) / "_lyceum" / "versions"
    if not d.is_dir():
        return []
    return sorted(int(p.stem) for p in d.glob("*.json") if p.stem.isdigit())


def _local_path(uri: str) -> str:
    if uri.startswith("file://"):
        uri = uri[len("file://"):]
    return uri


def snapshot_files(warehouse_dir, version: Optional[int] = None,
                   include_system: bool = False) -> Dict[str, List[str]]:
    """{table_name: [parquet file paths]} of one warehouse version (latest when None).

    Keys are bare table names for schema ``public`` and ``schema.table`` for other schemas
    (only returned with include_system=True). Each table's Delta log is read at the
    ``delta_version`` the catalog manifest pins, so files of later, uncommitted-to-the-
    catalog Delta versions are never seen.
    """
    from deltalake import DeltaTable

    versions = list_versions(warehouse_dir)
    if not versions:
        raise FileNotFoundError("no catalog manifests under %s/_lyceum/versions" % warehouse_dir)
    if version is None:
        version = versions[-1]
    mpath = manifest_path(warehouse_dir, version)
    if not mpath.is_file():
        raise FileNotFoundError("warehouse version %d not found (%s); have %s"
                                % (version, mpath, versions))
    manifest = json.loads(mpath.read_text())
    out: Dict[str, List[str]] = {}
    for key, entry in sorted(manifest.get("tables", {}).items()):
        schema, _, table = key.partition(".")
        if not table:
            schema, table = "public", key
        if schema != "public" and not include_system:
            continue
        if entry.get("definition", {}).get("role") == "rollup":
            continue  # a rollup's states, not a table a query reads
        table_dir = Path(warehouse_dir) / (entry.get("location") or "%s/%s" % (schema, table))
        dv = entry.get("delta_version")
        dt = DeltaTable(str(table_dir), version=dv) if dv is not None else DeltaTable(str(table_dir))
        files = [_local_path(u) for u in dt.file_uris()]
        out[table if schema == "public" else key] = sorted(files)
    return out


def hive_segments(path: str) -> List[str]:
    """The trailing `col=value` directory names of a data file's path (Delta partitions)."""
    segs = []
    for part in reversed(Path(path).parent.parts):
        if "=" not in part:
            break
        segs.append(part)
    return list(reversed(segs))


def hive_partition_columns(paths: Sequence[str]) -> List[str]:
    cols: List[str] = []
    for p in paths:
        for seg in hive_segments(p):
            k = seg.split("=", 1)[0]
            if k not in cols:
                cols.append(k)
    return cols


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def duckdb_connection(files: Dict[str, List[str]], schema: Optional[Dict[str, List[Column]]] = None):
    """In-memory DuckDB with one VIEW per star-schema table over read_parquet([...]).

    Each view selects exactly schema.sql's columns, in order, cast to schema.sql's types
    (hive-style partition directories are read as columns). A star table with no files
    (or absent from the snapshot) becomes an empty table created from schema.sql.
    """
    import duckdb

    schema = schema or parse_schema_sql()
    con = duckdb.connect(":memory:")
    con.execute("SET threads TO %d" % max(1, min(4, os.cpu_count() or 1)))
    for table, cols in schema.items():
        paths = files.get(table) or []
        if not paths:
            ddl = ", ".join("%s %s" % (c.name, duckdb_type(c.sql_type)) for c in cols)
            con.execute("CREATE TABLE %s (%s)" % (table, ddl))
            continue
        hive = bool(hive_partition_columns(paths))
        select = ", ".join("CAST(%s AS %s) AS %s" % (c.name, duckdb_type(c.sql_type), c.name)
                           for c in cols)
        con.execute(
            "CREATE VIEW %s AS SELECT %s FROM read_parquet([%s], hive_partitioning = %s, "
            "union_by_name = true)" % (table, select, ", ".join(_sql_str(p) for p in paths),
                                       "true" if hive else "false"))
    return con


# ----------------------------------------------------------------------------- running

@dataclass
class Result:
    columns: List[str]
    rows: List[Tuple[Any, ...]]
    seconds: float


def strip_sql(sql: str) -> str:
    """The statement without trailing whitespace and semicolon(s)."""
    s = sql.rstrip()
    while s.endswith(";"):
        s = s[:-1].rstrip()
    return s


def run_duckdb(con, sql: str) -> Result:
    t0 = time.perf_counter()
    cur = con.execute(strip_sql(sql))
    rows = cur.fetchall()
    cols = [d[0] for d in cur.description]
    return Result(cols, [tuple(r) for r in rows], time.perf_counter() - t0)


def lyceum_bin() -> str:
    b = os.environ.get("LYCEUM_BIN")
    if not b:
        raise RuntimeError(
            "LYCEUM_BIN is not set: point it at the lyceum binary, e.g. "
            "LYCEUM_BIN=target/release/lyceum pytest tests/python")
    return b


def run_lyceum(warehouse_dir, sql: str, binary: Optional[str] = None, timeout: float = 1800,
               extra_args: Sequence[str] = ()) -> Result:
    """`LYCEUM_BIN sql --warehouse DIR --format csv "<sql>"`; CSV with a header, NULL = empty."""
    cmd = [binary or lyceum_bin(), "sql", "--warehouse", str(warehouse_dir), "--format", "csv",
           *extra_args, "--", strip_sql(sql)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError("lyceum sql failed (exit %d)\nstderr:\n%s\nstdout:\n%s" % (
            proc.returncode, proc.stderr.decode("utf-8", "replace")[-4000:],
            proc.stdout.decode("utf-8", "replace")[-2000:]))
    cols, rows = parse_csv(proc.stdout.decode("utf-8"))
    return Result(cols, rows, seconds)


def parse_csv(text: str) -> Tuple[List[str], List[Tuple[Any, ...]]]:
    """Header + rows; every cell is a string, an empty field is NULL (None)."""
    reader = csv.reader(io.StringIO(text))
    lines = [r for r in reader]
    if not lines:
        return [], []
    header = lines[0]
    rows = [tuple(c if c != "" else None for c in r) for r in lines[1:] if r != []]
    return header, rows


class DataFusionRunner:
    """python-DataFusion over the same files (used by synth.py's quick check).

    mode "parquet" (default) registers each table with register_parquet over a temporary
    directory of symlinks to exactly the snapshot's files, so DataFusion's own Parquet scan
    (string view types, parallel file scans) runs as in Lyceum; mode "memory" loads the files
    with pyarrow, casts them to schema.sql's types and registers them as in-memory partitions.
    """

    def __init__(self, files: Dict[str, List[str]], schema: Optional[Dict[str, List[Column]]] = None,
                 partitions: int = 4, mode: str = "parquet"):
        import tempfile

        import datafusion
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = schema or parse_schema_sql()
        self.ctx = datafusion.SessionContext(
            datafusion.SessionConfig().with_target_partitions(partitions))
        self._tmp = tempfile.TemporaryDirectory(prefix="lyceum_df_")
        for table, cols in schema.items():
            target = arrow_schema(cols)
            paths = files.get(table) or []
            hive_cols = hive_partition_columns(paths)
            if paths and mode == "parquet":
                d = Path(self._tmp.name) / table
                for i, p in enumerate(paths):
                    sub = d.joinpath(*hive_segments(p))
                    sub.mkdir(parents=True, exist_ok=True)
                    os.symlink(os.path.abspath(p), sub / ("%05d.parquet" % i))
                types = {c.name: arrow_type(c.sql_type) for c in cols}
                self.ctx.register_parquet(table, str(d), table_partition_cols=[
                    (c, types[c]) for c in hive_cols])
                continue
            if paths:
                parts = []
                for p in paths:
                    t = pq.read_table(p, partitioning=None)
                    for seg in hive_segments(p):
                        k, _, v = seg.partition("=")
                        t = t.append_column(k, pa.array([v] * t.num_rows, pa.string()))
                    parts.append(t.select(target.names).cast(target))
                tbl = pa.concat_tables(parts)
            else:
                tbl = target.empty_table()
            batches = tbl.to_batches(max_chunksize=max(1, -(-tbl.num_rows // partitions)))
            if not batches:
                batches = [pa.RecordBatch.from_pylist([], schema=target)]
            self.ctx.register_record_batches(table, [[b] for b in batches])

    def run(self, sql: str) -> Result:
        t0 = time.perf_counter()
        tbl = self.ctx.sql(strip_sql(sql)).to_arrow_table()
        rows = [tuple(r[c] for c in range(tbl.num_columns))
                for r in zip(*[col.to_pylist() for col in tbl.columns])] if tbl.num_columns else []
        return Result(list(tbl.column_names), rows, time.perf_counter() - t0)


# ----------------------------------------------------------------------------- comparing

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SPECIAL = {"nan": math.nan, "NaN": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf,
            "infinity": math.inf, "-infinity": -math.inf, "Infinity": math.inf,
            "-Infinity": -math.inf}


def normalize(v: Any) -> Any:
    """Cell -> None | float | str. Numbers (and numeric-looking text) become floats,
    booleans 'true'/'false', dates ISO text, '' -> None (CSV cannot tell them apart)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if hasattr(v, "isoformat"):  # date / datetime
        return v.isoformat()
    s = str(v)
    if s == "":
        return None
    if _NUM_RE.match(s):
        return float(s)
    if s in _SPECIAL:
        return _SPECIAL[s]
    return s


def cells_equal(a: Any, b: Any) -> bool:
    a, b = normalize(a), normalize(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= ABS_TOL + REL_TOL * max(abs(a), abs(b))
    return a == b


def compare(expected: Result, actual: Result, expected_name: str = "duckdb",
            actual_name: str = "lyceum", context: int = 3) -> Optional[str]:
    """None when the results match, else a report with the first differing rows."""
    problems = []
    if len(expected.columns) != len(actual.columns):
        problems.append("column count differs: %s has %d %s, %s has %d %s" % (
            expected_name, len(expected.columns), expected.columns,
            actual_name, len(actual.columns), actual.columns))
        return "\n".join(problems)
    if len(expected.rows) != len(actual.rows):
        problems.append("row count differs: %s %d, %s %d" % (
            expected_name, len(expected.rows), actual_name, len(actual.rows)))
    first_bad = None
    bad_count = 0
    for i, (er, ar) in enumerate(zip(expected.rows, actual.rows)):
        if len(er) != len(ar) or not all(cells_equal(x, y) for x, y in zip(er, ar)):
            bad_count += 1
            if first_bad is None:
                first_bad = i
    if first_bad is None and not problems:
        return None
    if first_bad is None:
        first_bad = min(len(expected.rows), len(actual.rows))
    problems.append("%d differing row(s) in the common prefix; first at row %d (0-based)"
                    % (bad_count, first_bad))
    problems.append("columns: %s" % expected.columns)
    lo, hi = max(0, first_bad - 1), first_bad + context
    for i in range(lo, hi):
        e = expected.rows[i] if i < len(expected.rows) else "<no row>"
        a = actual.rows[i] if i < len(actual.rows) else "<no row>"
        mark = "  " if (isinstance(e, tuple) and isinstance(a, tuple) and len(e) == len(a)
                        and all(cells_equal(x, y) for x, y in zip(e, a))) else "!!"
        problems.append("%s row %d\n    %-7s %s\n    %-7s %s" % (mark, i, expected_name, e,
                                                                actual_name, a))
    return "\n".join(problems)


# ----------------------------------------------------------------------------- queries

@dataclass
class Query:
    name: str      # file stem, e.g. "05_graduation_rate_150"
    path: Path
    sql: str


def load_queries(directory: Optional[Path] = None) -> List[Query]:
    d = Path(directory or QUERIES_DIR)
    return [Query(p.stem, p, p.read_text()) for p in sorted(d.glob("*.sql"))]


def header_comment(sql: str) -> List[str]:
    """The leading `--` comment lines of a query file."""
    out = []
    for line in sql.splitlines():
        s = line.strip()
        if s.startswith("--"):
            out.append(s)
        elif s == "" and not out:
            continue
        else:
            break
    return out


# ----------------------------------------------------------------------------- CLI

def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--version", type=int, default=None)
    ap.add_argument("--lyceum", default=os.environ.get("LYCEUM_BIN"),
                    help="lyceum binary (default $LYCEUM_BIN); omit with --datafusion")
    ap.add_argument("--datafusion", action="store_true",
                    help="compare DuckDB with python-DataFusion instead of Lyceum")
    ap.add_argument("--lyceum-arg", action="append", default=[],
                    help="extra argument for `lyceum sql` (repeatable), e.g. a version pin: "
                         "--version only pins the DuckDB side")
    ap.add_argument("--query", action="append", default=[],
                    help="run only queries whose file name starts with this (repeatable)")
    args = ap.parse_args(argv)

    files = snapshot_files(args.warehouse, args.version)
    con = duckdb_connection(files)
    df = DataFusionRunner(files) if args.datafusion else None
    if df is None and not args.lyceum:
        ap.error("no Lyceum binary: pass --lyceum, set LYCEUM_BIN, or use --datafusion")
    other = "datafusion" if df else "lyceum"
    failures = passed = 0
    for q in load_queries():
        if args.query and not any(q.name.startswith(p) for p in args.query):
            continue
        exp = act = None
        try:
            exp = run_duckdb(con, q.sql)
            act = df.run(q.sql) if df else run_lyceum(args.warehouse, q.sql, args.lyceum,
                                                        extra_args=args.lyceum_arg)
            diff = compare(exp, act, "duckdb", other)
        except Exception as e:  # noqa: BLE001 - report and go on
            diff = "error: %s" % e
        if diff is None:
            passed += 1
        else:
            failures += 1
        print("%-40s %-8s rows=%-6s duckdb=%s %s=%s" % (
            q.name, "ok" if diff is None else "MISMATCH", len(exp.rows) if exp else "-",
            "%.3fs" % exp.seconds if exp else "-", other, "%.3fs" % act.seconds if act else "-"))
        if diff:
            print("    " + diff.replace("\n", "\n    "))
    print("%d passed, %d failed" % (passed, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

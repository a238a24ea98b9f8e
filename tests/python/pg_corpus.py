"""The PostgreSQL-compatibility corpus: analyst-style queries run on Lyceum and on a
PostgreSQL 15 loaded with the same warehouse snapshot, compared in text form.

Corpus files are `tests/pg_corpus/*.sql`. Each query ends with `;` at the end of a line;
a `-- ` comment line just above a query is its description. A query's id is
`<file stem>:<ordinal>` (1-based). Queries whose last clause is a top-level ORDER BY are
compared in order (their authors make the order total); all others as multisets of rows.

A query's outcome on Lyceum is one of:
- identical: the same column types (RowDescription OIDs) and the same rows in PostgreSQL's
  text form, with one normalisation: `float8` / `float4` values are compared at 15 / 6
  significant digits, and may differ by one unit in that last digit (a float computed by
  another algorithm, or from sums added in another order, differs in its last bits);
- refused: Lyceum answered with an error (its SQLSTATE is recorded);
- different: anything else. There must be none.

A query PostgreSQL itself rejects is a defect of the corpus, never counted.

CLI, for writing corpus queries by hand against a loaded PostgreSQL:
    python tests/python/pg_corpus.py --warehouse WH serve        # prints a psql command
    python tests/python/pg_corpus.py --warehouse WH --lyceum BIN run [--only FILE] [-v]
"""

from __future__ import annotations

import argparse
import math
import re
import select
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import psycopg
from psycopg import pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import oracle  # noqa: E402
from pg_reference import PostgresReference  # noqa: E402

CORPUS_DIR = HERE.parent / "pg_corpus"
FLOAT4, FLOAT8 = 700, 701
_TRAILING_ORDER_BY = re.compile(r"\border\s+by\b[^()]*$", re.I | re.S)


@dataclass
class Query:
    id: str
    sql: str
    description: str = ""

    @property
    def ordered(self) -> bool:
        return bool(_TRAILING_ORDER_BY.search(_without_strings(self.sql)))


def _without_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def load_corpus(directory: Path = CORPUS_DIR) -> List[Query]:
    queries: List[Query] = []
    for path in sorted(directory.glob("*.sql")):
        description, lines, n = "", [], 0
        for raw in path.read_text().splitlines():
            stripped = raw.strip()
            if not lines and stripped.startswith("--"):
                description = stripped[2:].strip()
                continue
            if not lines and not stripped:
                continue
            lines.append(raw)
            if stripped.endswith(";"):
                n += 1
                sql = "\n".join(lines).strip().rstrip(";").strip()
                queries.append(Query("%s:%d" % (path.stem, n), sql, description))
                description, lines = "", []
        if lines:
            raise ValueError("%s: the last query does not end with ';'" % path)
    return queries


# ----------------------------------------------------------------------------- reference


def load_reference(pg: PostgresReference, warehouse) -> Dict[str, int]:
    """Copies every star table of the warehouse's latest snapshot into PostgreSQL."""
    import pyarrow.parquet as pq_files

    schema = oracle.parse_schema_sql()
    files = oracle.snapshot_files(warehouse)
    counts = {}
    with psycopg.connect(**pg.conninfo(), autocommit=True) as conn:
        for table, columns in schema.items():
            names = [c.name for c in columns]
            n = 0
            with conn.cursor() as cur:
                with cur.copy("COPY %s (%s) FROM STDIN" % (table, ", ".join(names))) as copy:
                    for path in files.get(table, []):
                        data = pq_files.read_table(path)
                        for segment in oracle.hive_segments(path):
                            key, _, value = segment.partition("=")
                            if key in names and key not in data.column_names:
                                import pyarrow as pa
                                data = data.append_column(key, pa.array([value] * data.num_rows))
                        for row in zip(*(data.column(c).to_pylist() for c in names)):
                            copy.write_row(row)
                            n += 1
            counts[table] = n
        conn.execute("ANALYZE")
    return counts


# ----------------------------------------------------------------------------- running


@dataclass
class Answer:
    error: Optional[Tuple[str, str]] = None  # (SQLSTATE, message)
    types: List[int] = field(default_factory=list)
    names: List[str] = field(default_factory=list)
    rows: List[Tuple[Optional[str], ...]] = field(default_factory=list)


def _next_result(pg):
    while pg.is_busy():
        select.select([pg.socket], [], [], 1.0)
        pg.consume_input()
    return pg.get_result()


def ask(conn: psycopg.Connection, sql: str) -> Answer:
    """One query over the simple protocol; the last result's rows in text form."""
    pg = conn.pgconn
    pg.send_query(sql.encode())
    answer = Answer()
    while True:
        res = _next_result(pg)
        if res is None:
            break
        if res.status == pq.ExecStatus.FATAL_ERROR:
            state = (res.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
            message = (res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode()
            answer.error = (state, message)
        elif res.status == pq.ExecStatus.TUPLES_OK:
            answer.types = [res.ftype(c) for c in range(res.nfields)]
            answer.names = [(res.fname(c) or b"").decode() for c in range(res.nfields)]
            answer.rows = [
                tuple(
                    None if res.get_value(r, c) is None else res.get_value(r, c).decode()
                    for c in range(res.nfields)
                )
                for r in range(res.ntuples)
            ]
    return answer


def _float_text(text: Optional[str], digits: int) -> Optional[str]:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isnan(value) or math.isinf(value) or value == 0:
        return text.lstrip("-") if value == 0 else text
    return "%.*e" % (digits - 1, value)


def normalised(answer: Answer, ordered: bool) -> List[Tuple[Optional[str], ...]]:
    digits = {FLOAT8: 15, FLOAT4: 6}
    rows = [
        tuple(
            _float_text(v, digits[t]) if t in digits else v
            for v, t in zip(row, answer.types)
        )
        for row in answer.rows
    ]
    if not ordered:
        rows.sort(key=lambda r: tuple((v is None, v or "") for v in r))
    return rows


def _last_digit_close(a: Optional[str], b: Optional[str], digits: int) -> bool:
    """Whether two float texts agree to within one unit of their last compared digit."""
    if a is None or b is None:
        return a == b
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    if not (math.isfinite(x) and math.isfinite(y)) or x == 0 or y == 0:
        return a == b
    unit = 10 ** (math.floor(math.log10(max(abs(x), abs(y)))) - (digits - 1))
    return abs(x - y) <= unit * 1.000001


def _rows_close(mine, theirs, types) -> bool:
    digits = {FLOAT8: 15, FLOAT4: 6}
    if len(mine) != len(theirs):
        return False
    for a_row, b_row in zip(mine, theirs):
        for a, b, t in zip(a_row, b_row, types):
            if a == b:
                continue
            if t not in digits or not _last_digit_close(a, b, digits[t]):
                return False
    return True


@dataclass
class Outcome:
    query: Query
    kind: str  # identical | refused | different
    detail: str = ""
    sqlstate: str = ""


def compare(query: Query, expected: Answer, actual: Answer) -> Outcome:
    if expected.error:
        raise AssertionError("corpus query %s is not valid PostgreSQL (%s %s):\n%s"
                             % (query.id, expected.error[0], expected.error[1], query.sql))
    if actual.error:
        return Outcome(query, "refused", "%s %s" % actual.error, actual.error[0])
    mine, theirs = normalised(actual, query.ordered), normalised(expected, query.ordered)
    if actual.types != expected.types:
        return Outcome(query, "different", "types %s, PostgreSQL %s (values %s)"
                       % (actual.types, expected.types, "equal" if mine == theirs else "differ"))
    if mine != theirs and not _rows_close(mine, theirs, actual.types):
        if len(mine) != len(theirs):
            return Outcome(query, "different", "%d rows, PostgreSQL %d (first: %s vs %s)"
                           % (len(mine), len(theirs), mine[:2], theirs[:2]))
        first = next(i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b)
        return Outcome(query, "different", "row %d: %s, PostgreSQL %s"
                       % (first, mine[first], theirs[first]))
    return Outcome(query, "identical")


def run_corpus(lyceum_conninfo, pg_conninfo, queries: List[Query]) -> List[Outcome]:
    outcomes = []
    with psycopg.connect(**pg_conninfo, autocommit=True) as pg, \
            psycopg.connect(**lyceum_conninfo, autocommit=True) as lyceum:
        for q in queries:
            expected = ask(pg, q.sql)
            actual = ask(lyceum, q.sql)
            outcomes.append(compare(q, expected, actual))
    return outcomes


def summary(outcomes: List[Outcome]) -> str:
    counts = {k: sum(1 for o in outcomes if o.kind == k)
              for k in ("identical", "refused", "different")}
    total = len(outcomes) or 1
    states: Dict[str, int] = {}
    for o in outcomes:
        if o.kind == "refused":
            states[o.sqlstate] = states.get(o.sqlstate, 0) + 1
    return ("corpus: %d queries: %d identical (%.1f%%), %d refused, %d different; refusals by "
            "SQLSTATE %s" % (len(outcomes), counts["identical"],
                             100.0 * counts["identical"] / total, counts["refused"],
                             counts["different"], dict(sorted(states.items()))))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--lyceum", help="lyceum binary (for `run`)")
    parser.add_argument("--only", help="corpus file stem to run")
    parser.add_argument("--password", default="test-admin-pw",
                        help="the administrator's password if the warehouse has users")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("command", choices=["serve", "run"])
    args = parser.parse_args()
    with PostgresReference() as pg:
        counts = load_reference(pg, args.warehouse)
        print("loaded %s" % counts, flush=True)
        if args.command == "serve":
            print("psql -h %s -p %d -U postgres lyceum" % (pg.base, pg.port), flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                return
        from lyceum_server import LyceumServer
        queries = [q for q in load_corpus() if not args.only or q.id.startswith(args.only + ":")]
        with LyceumServer(args.lyceum, args.warehouse, password=args.password) as server:
            outcomes = run_corpus(server.conninfo(), pg.conninfo(), queries)
        for o in outcomes:
            if o.kind != "identical" or args.verbose:
                print("%-10s %-14s %s\n    %s" % (o.kind, o.query.id, o.detail,
                                                  o.query.sql.replace("\n", " ")[:200]))
        print(summary(outcomes))


if __name__ == "__main__":
    main()

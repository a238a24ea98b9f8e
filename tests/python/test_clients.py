"""Lyceum's Postgres endpoint through the Python clients analysts use: psycopg 3,
SQLAlchemy 2 (postgresql+psycopg) and pandas; pgjdbc through a Java program; the server's
memory while a 10-million-row result streams.

Every test talks to a real `lyceum serve` on an ephemeral loopback port.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import psycopg.errors
import pytest

from lyceum_server import LyceumServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(lyceum_bin, warehouse):
    with LyceumServer(lyceum_bin, warehouse) as s:
        yield s


@pytest.fixture
def conn(server):
    with psycopg.connect(**server.conninfo(), autocommit=True) as c:
        yield c


def scalar(conn, sql, params=None):
    return conn.execute(sql, params).fetchone()[0]


def test_psycopg_binds_parameters_on_the_server(conn):
    term = scalar(conn, "SELECT min(term_key) FROM fact_enrollment")
    literal = scalar(conn, "SELECT count(*) FROM fact_enrollment WHERE term_key = %d AND is_dfw"
                     % term)
    cur = conn.cursor()
    # psycopg 3 sends %s values as bind parameters of the extended protocol.
    got = cur.execute("SELECT count(*) FROM fact_enrollment WHERE term_key = %s AND is_dfw = %s",
                      (term, True)).fetchone()[0]
    assert got == literal
    # Prepared on the server after repeated use, and typed: text, numbers, dates, NULL.
    for _ in range(6):
        row = cur.execute("SELECT %s::text, %s::int + 1, %s::date, %s::numeric(5,2), %s::int IS NULL",
                          ("é", 41, "2025-01-31", "12.34", None), prepare=True).fetchone()
        assert row[0] == "é" and row[1] == 42 and str(row[2]) == "2025-01-31"
        assert str(row[3]) == "12.34" and row[4] is True


def test_psycopg_streams_a_large_result(conn):
    total = scalar(conn, "SELECT count(*) FROM fact_attendance")
    assert total > 10_000
    seen = 0
    with conn.cursor() as cur:
        for row in cur.stream("SELECT * FROM fact_attendance"):
            seen += 1
    assert seen == total


def test_psycopg_executemany_of_selects(conn):
    cur = conn.cursor()
    cur.executemany("SELECT %s::int * 2, %s::text", [(1, "a"), (2, "b"), (3, "c")], returning=True)
    results = []
    while True:
        results.append(cur.fetchone())
        if not cur.nextset():
            break
    assert results == [(2, "a"), (4, "b"), (6, "c")]


@pytest.mark.parametrize("sql, error, code", [
    ("SELEC 1", psycopg.errors.SyntaxError, "42601"),
    ("SELECT * FROM no_such_table", psycopg.errors.UndefinedTable, "42P01"),
    ("SELECT no_such_column FROM dim_term", psycopg.errors.UndefinedColumn, "42703"),
    ("SELECT no_such_function(1)", psycopg.errors.UndefinedFunction, "42883"),
    ("SELECT 1 / 0", psycopg.errors.DivisionByZero, "22012"),
    ("SELECT CAST('seven' AS INT)", psycopg.errors.InvalidTextRepresentation, "22P02"),
    ("CREATE TABLE t (a int)", psycopg.errors.InsufficientPrivilege, "42501"),
    ("UPDATE dim_term SET term_key = 1", psycopg.errors.InsufficientPrivilege, "42501"),
    ("SET no_such_setting = 1", psycopg.errors.UndefinedObject, "42704"),
])
def test_psycopg_errors_carry_sqlstates(conn, sql, error, code):
    with pytest.raises(error) as caught:
        conn.execute(sql)
    assert caught.value.sqlstate == code
    assert scalar(conn, "SELECT 1") == 1


def test_psycopg_transactions_and_timeouts(server):
    with psycopg.connect(**server.conninfo()) as conn:  # not autocommit: BEGIN is implicit
        conn.execute("SELECT 1")
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("SELECT 1 / 0")
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        conn.execute("SET statement_timeout = 300")
        started = time.time()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT count(*) FROM generate_series(1, 100000000000) AS t(x) "
                         "WHERE x % 7 = 3")
        assert time.time() - started < 5
        conn.rollback()
        assert conn.execute("SELECT 2").fetchone()[0] == 2


def test_sqlalchemy_inspects_the_star_schema(server):
    import sqlalchemy
    engine = sqlalchemy.create_engine(server.url())
    try:
        inspector = sqlalchemy.inspect(engine)
        schemas = inspector.get_schema_names()
        assert "public" in schemas and "system" in schemas
        tables = inspector.get_table_names()
        assert {"fact_enrollment", "dim_student", "dim_term"} <= set(tables)
        columns = {c["name"]: c for c in inspector.get_columns("fact_enrollment")}
        assert isinstance(columns["enrollment_id"]["type"], sqlalchemy.BigInteger)
        assert isinstance(columns["credit_hours_attempted"]["type"], sqlalchemy.Numeric)
        assert columns["credit_hours_attempted"]["type"].scale == 1
        assert columns["enrollment_id"]["nullable"] is False
        assert columns["instructor_key"]["nullable"] is True
        pk = inspector.get_pk_constraint("fact_enrollment")
        assert pk["constrained_columns"] == ["enrollment_id"]
        fks = {(tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
               for f in inspector.get_foreign_keys("fact_enrollment")}
        assert (("student_key",), "dim_student", ("student_key",)) in fks
        assert (("term_key",), "dim_term", ("term_key",)) in fks
        assert inspector.get_table_comment("fact_enrollment")["text"].startswith("Fact table")
    finally:
        engine.dispose()


def test_pandas_reads_a_kpi_query(server):
    import pandas
    import sqlalchemy
    sql = (ROOT / "queries" / "01_gpa_by_department_term.sql").read_text()
    engine = sqlalchemy.create_engine(server.url())
    try:
        with engine.connect() as c:
            frame = pandas.read_sql(sqlalchemy.text(sql), c)
    finally:
        engine.dispose()
    assert len(frame) > 0
    with psycopg.connect(**server.conninfo(), autocommit=True) as conn:
        rows = conn.execute(sql).fetchall()
    assert len(frame) == len(rows)
    assert list(frame.columns) == [d.name for d in conn_description(server, sql)]

    def plain(values):
        # pandas reads NUMERIC as float (coerce_float), psycopg as Decimal.
        return tuple(float(v) if hasattr(v, "as_tuple") else v for v in values)

    assert plain(next(frame.itertuples(index=False, name=None))) == plain(rows[0])


def conn_description(server, sql):
    with psycopg.connect(**server.conninfo(), autocommit=True) as conn:
        cur = conn.execute(sql)
        return cur.description


def peak_rss_kib(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


def test_ten_million_rows_stream_with_bounded_server_memory(lyceum_bin, warehouse):
    with LyceumServer(lyceum_bin, warehouse) as server:
        with psycopg.connect(**server.conninfo(), autocommit=True) as conn:
            conn.execute("SELECT count(*) FROM fact_enrollment").fetchone()
            before = peak_rss_kib(server.proc.pid)
            rows = 0
            text_bytes = 0
            with conn.cursor() as cur:
                for value, label in cur.stream(
                        "SELECT value, repeat('x', 90) || value AS label "
                        "FROM generate_series(1, 10000000)"):
                    rows += 1
                    text_bytes += len(label) + 8
            peak = peak_rss_kib(server.proc.pid)
    assert rows == 10_000_000
    result_mib = text_bytes / 2**20
    growth_mib = (peak - before) / 1024
    print("\nresult %.0f MiB; server peak RSS %.0f MiB (+%.0f MiB while streaming)"
          % (result_mib, peak / 1024, growth_mib))
    assert result_mib > 900
    # Streaming keeps a few batches in flight, never the result.
    assert growth_mib < result_mib / 5, (growth_mib, result_mib)


def make_certificate(directory: Path):
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


JDBC_JAR = Path("/usr/share/java/postgresql.jar")


def test_jdbc_metadata_prepared_statements_streaming_and_tls(lyceum_bin, warehouse, tmp_path):
    if not JDBC_JAR.exists() or not shutil.which("java"):
        pytest.fail("pgjdbc (libpostgresql-jdbc-java) and java are needed: see scripts/test.sh")
    cert, key = make_certificate(tmp_path)
    with LyceumServer(lyceum_bin, warehouse) as plain, \
            LyceumServer(lyceum_bin, warehouse, "--tls-cert", cert, "--tls-key", key,
                         "--require-tls") as tls:
        out = subprocess.run(
            ["java", "-cp", str(JDBC_JAR), str(ROOT / "tests" / "jdbc" / "LyceumJdbcCheck.java"),
             "127.0.0.1", str(plain.port), "admin", plain.password, str(tls.port)],
            capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    for check in ["getSchemas", "getTables", "getColumns", "getPrimaryKeys", "getImportedKeys",
                  "preparedStatement#9", "setFetchSize", "sslmode=require"]:
        assert "OK " + check in out.stdout, out.stdout

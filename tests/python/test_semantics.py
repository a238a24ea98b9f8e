"""Statement and transaction semantics compared with PostgreSQL 15, message by message.

Each script is a list of query strings sent over one connection with libpq (psycopg's
`pgconn`): the simple protocol (`send_query`: one string, many statements) and the extended
protocol (`send_query_params`: Parse/Bind/Describe/Execute/Sync). For every string the test
records each result's status, command tag and SQLSTATE, and the transaction status that
ReadyForQuery reported; Lyceum must answer exactly as PostgreSQL 15 does. Both servers have
the star schema and an empty `sandbox` schema; only data-independent statements are used.
"""

from __future__ import annotations

import select
import shutil

import psycopg
import pytest
from psycopg import pq

from lyceum_server import LyceumServer
from pg_reference import PostgresReference

SERIES_ERROR = "SELECT x / (x - x) FROM generate_series(1, 3) AS t(x)"  # fails while streaming

SIMPLE_SCRIPTS = {
    "stop_at_first_error": [
        "SELECT 1 AS a; SELECT 1/0; SELECT 2",
        "SELECT 3; %s; SET application_name = 'later'" % SERIES_ERROR,
        "SHOW application_name",
    ],
    "failed_transaction_block": [
        "BEGIN",
        "SELECT 1/0",
        "SELECT 1",
        "SHOW application_name",
        "COMMIT",
        "SELECT 1",
    ],
    "error_inside_a_block_string": [
        "BEGIN; SELECT 1; %s; SELECT 2" % SERIES_ERROR,
        "SELECT 1",
        "ROLLBACK",
    ],
    "savepoints": [
        "BEGIN",
        "SAVEPOINT s1",
        "SELECT 1/0",
        "ROLLBACK TO SAVEPOINT s1",
        "SELECT 5",
        "RELEASE SAVEPOINT s1",
        "COMMIT",
    ],
    "implicit_transaction_of_a_string": [
        "CREATE TABLE sandbox.t1 (a integer NOT NULL, b text); INSERT INTO sandbox.t1 VALUES (1, 'x'); SELECT 1/0",
        "SELECT count(*) FROM sandbox.t1",
        "CREATE TABLE sandbox.t1 (a integer NOT NULL, b text); INSERT INTO sandbox.t1 VALUES (1, 'x'), (2, 'y')",
        "SELECT a, b FROM sandbox.t1 ORDER BY a",
        "INSERT INTO sandbox.t1 VALUES (3, 'z'); %s" % SERIES_ERROR,
        "SELECT count(*) FROM sandbox.t1",
        "INSERT INTO sandbox.t1 (b) VALUES ('no a')",
        "DROP TABLE sandbox.t1",
    ],
    "sandbox_writes_in_a_block": [
        "CREATE TABLE sandbox.t2 (a bigint, d date)",
        "BEGIN",
        "INSERT INTO sandbox.t2 VALUES (1, DATE '2024-01-01')",
        "SELECT count(*) FROM sandbox.t2",
        "ROLLBACK",
        "SELECT count(*) FROM sandbox.t2",
        "BEGIN; INSERT INTO sandbox.t2 SELECT x, NULL FROM generate_series(1, 5) AS g(x); COMMIT",
        "SELECT count(*), sum(a) FROM sandbox.t2",
        "CREATE TABLE sandbox.t3 AS SELECT a * 2 AS b FROM sandbox.t2",
        "SELECT sum(b) FROM sandbox.t3",
        "DROP TABLE IF EXISTS sandbox.nope",
        "DROP TABLE sandbox.t2, sandbox.t3",
    ],
    "tags_of_every_kind": [
        "SET application_name = 'tags'",
        "SHOW application_name",
        "RESET application_name",
        "BEGIN",
        "SET LOCAL statement_timeout = '5s'",
        "COMMIT",
        "START TRANSACTION",
        "ROLLBACK",
        "PREPARE p1 AS SELECT $1::int + 1",
        "EXECUTE p1(41)",
        "DEALLOCATE p1",
        "BEGIN; DECLARE c1 CURSOR FOR SELECT x FROM generate_series(1, 5) AS g(x); FETCH 2 FROM c1; CLOSE c1; COMMIT",
        "SELECT 1 WHERE false",
    ],
    "errors_of_every_kind": [
        "SELEC 1",
        "SELECT * FROM no_such_table",
        "SELECT no_such_column FROM dim_term",
        "SELECT no_such_function(1)",
        "SELECT CAST('seven' AS integer)",
        "SET no_such_setting = 1",
        "ROLLBACK TO SAVEPOINT nowhere",
    ],
}

EXTENDED_SCRIPTS = {
    "extended_tags": [
        "SELECT 1",
        "SET application_name = 'ext'",
        "SHOW application_name",
        "BEGIN",
        "CREATE TABLE sandbox.e1 (a integer, b text)",
        "INSERT INTO sandbox.e1 VALUES (1, 'a'), (2, 'b')",
        "SELECT a FROM sandbox.e1 ORDER BY a",
        "COMMIT",
        "DROP TABLE sandbox.e1",
        "RESET application_name",
    ],
    "extended_failed_transaction": [
        "BEGIN",
        "SELECT 1/0",
        "SELECT 1",
        "COMMIT",
        "SELECT no_such_column FROM dim_term",
        "SELECT 2",
    ],
    "extended_fetch_describes_its_rows": [
        "BEGIN",
        "DECLARE c2 CURSOR FOR SELECT x FROM generate_series(1, 5) AS g(x)",
        "FETCH 2 FROM c2",
        "FETCH ALL FROM c2",
        "CLOSE c2",
        "COMMIT",
    ],
}

STATUS = {
    pq.TransactionStatus.IDLE: "I",
    pq.TransactionStatus.INTRANS: "T",
    pq.TransactionStatus.INERROR: "E",
}


def next_result(pg):
    """libpq's get_result, waiting in Python (a blocking get_result holds the GIL, and the
    threads draining the server's log pipes must keep running)."""
    while pg.is_busy():
        select.select([pg.socket], [], [], 1.0)
        pg.consume_input()
    return pg.get_result()


def run_script(conninfo, script, extended):
    """[(query, [(status, tag, sqlstate, ncolumns)], transaction status)] per string."""
    conn = psycopg.connect(**conninfo, autocommit=True)
    try:
        pg = conn.pgconn
        out = []
        for sql in script:
            if extended:
                pg.send_query_params(sql.encode(), None)
            else:
                pg.send_query(sql.encode())
            results = []
            while True:
                res = next_result(pg)
                if res is None:
                    break
                state = res.error_field(pq.DiagnosticField.SQLSTATE)
                results.append((
                    pq.ExecStatus(res.status).name,
                    (res.command_status or b"").decode(),
                    state.decode() if state else None,
                    res.nfields,
                ))
            out.append((sql, results, STATUS.get(pg.transaction_status, "?")))
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def reference():
    try:
        with PostgresReference() as pg:
            with psycopg.connect(**pg.conninfo(), autocommit=True) as c:
                c.execute("CREATE SCHEMA sandbox")
            yield pg.conninfo()
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def lyceum(lyceum_bin, warehouse, tmp_path_factory):
    own = tmp_path_factory.mktemp("semantics") / "wh"
    shutil.copytree(warehouse, own)  # the scripts write sandbox tables
    with LyceumServer(lyceum_bin, own) as s:
        yield s.conninfo()


@pytest.mark.parametrize("name", sorted(SIMPLE_SCRIPTS))
def test_simple_protocol_matches_postgres(name, reference, lyceum):
    script = SIMPLE_SCRIPTS[name]
    assert run_script(lyceum, script, False) == run_script(reference, script, False)


@pytest.mark.parametrize("name", sorted(EXTENDED_SCRIPTS))
def test_extended_protocol_matches_postgres(name, reference, lyceum):
    script = EXTENDED_SCRIPTS[name]
    assert run_script(lyceum, script, True) == run_script(reference, script, True)


def test_copy_tags_and_rows_match_postgres(reference, lyceum):
    def copy(conninfo):
        with psycopg.connect(**conninfo, autocommit=True) as c:
            c.execute("CREATE TABLE sandbox.c1 (a integer NOT NULL, b text)")
            with c.cursor() as cur:
                with cur.copy("COPY sandbox.c1 FROM STDIN (FORMAT csv, HEADER)") as cp:
                    cp.write(b"a,b\n1,\"x,y\"\n2,\n")
                tag = cur.statusmessage
                failed = None
                try:
                    with cur.copy("COPY sandbox.c1 FROM STDIN") as cp:
                        cp.write(b"3\tok\n\\N\tnull a\n")
                except psycopg.Error as e:
                    failed = e.sqlstate
            rows = c.execute("SELECT a, b FROM sandbox.c1 ORDER BY a").fetchall()
            c.execute("DROP TABLE sandbox.c1")
            return tag, failed, rows

    assert copy(lyceum) == copy(reference)

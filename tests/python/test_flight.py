"""Lyceum's Arrow Flight SQL endpoint through the clients notebooks use: the ADBC Flight SQL
driver (`adbc_driver_flightsql.dbapi`), pandas and Polars on its connection, and
`pyarrow.flight` for what the drivers hide (tickets, schemas, gRPC codes).

Every test talks to a real `lyceum serve` on ephemeral loopback ports; answers are
compared with the same server's Postgres wire endpoint (psycopg).
"""

from __future__ import annotations

import base64
import decimal
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import adbc_driver_flightsql.dbapi as flightsql
import psycopg
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from lyceum_server import LyceumServer

ROOT = Path(__file__).resolve().parents[2]
QUERIES = sorted((ROOT / "queries").glob("*.sql"))


@pytest.fixture(scope="module")
def server(lyceum_bin, warehouse):
    with LyceumServer(lyceum_bin, warehouse) as s:
        with psycopg.connect(**s.conninfo(), autocommit=True) as c:
            c.execute("CREATE USER flight_reader WITH PASSWORD 'reader-pw'")
        yield s


def adbc_connect(server):
    """A new ADBC Flight SQL connection to `server` as its administrator."""
    return flightsql.connect(server.flight_uri(), db_kwargs={
        "username": "admin", "password": server.password})


@pytest.fixture
def adbc(server):
    conn = adbc_connect(server)
    yield conn
    conn.close()


def pg_rows(server, sql):
    with psycopg.connect(**server.conninfo(), autocommit=True) as c:
        return c.execute(sql).fetchall()


def pg_rows_params(server, sql, params):
    with psycopg.connect(**server.conninfo(), autocommit=True) as c:
        return c.execute(sql, params).fetchall()


def plain(value):
    """A value as both clients can agree on: numbers as floats rounded to 6 places."""
    if isinstance(value, (float, decimal.Decimal)):
        return round(float(value), 6)
    return value


def same_rows(a, b):
    key = repr
    return sorted((tuple(map(plain, r)) for r in a), key=key) == sorted(
        (tuple(map(plain, r)) for r in b), key=key)


# -- pyarrow.flight: raw Flight SQL commands --------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, data):
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def command(name, fields=b""):
    """A Flight SQL command as the `Any` message a descriptor carries."""
    return _field(1, ("type.googleapis.com/arrow.flight.protocol.sql.%s" % name).encode()) + \
        _field(2, fields)


def statement_query(sql):
    return command("CommandStatementQuery", _field(1, sql.encode()))


def flight_client(server):
    return flight.FlightClient("grpc://127.0.0.1:%d" % server.flight_port)


def bearer_options(client, user, password):
    header = client.authenticate_basic_token(user, password)
    return flight.FlightCallOptions(headers=[header])


def basic_options(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode())
    return flight.FlightCallOptions(headers=[(b"authorization", b"Basic " + token)])


def info_and_table(client, options, sql):
    info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_query(sql)),
                                  options)
    table = client.do_get(info.endpoints[0].ticket, options).read_all()
    return info, table


# pyarrow.flight reports a CANCELLED status as if the user had pressed Ctrl-C (it raises
# FlightCancelledError and interrupts the main thread), so pulls that the server is to cancel
# run in a process of their own, which reports how the pull ended.
PULL_SCRIPT = """
import json, signal, sys
import pyarrow.flight as flight
# With SIGINT ignored, pyarrow raises the FlightCancelledError itself (with the message)
# instead of turning it into a KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.SIG_IGN)
port, token, ticket = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
options = flight.FlightCallOptions(headers=[(b"authorization", token.encode())])
try:
    flight.FlightClient("grpc://127.0.0.1:" + port).do_get(flight.Ticket(ticket),
                                                          options).read_all()
    print(json.dumps({"finished": True}))
except BaseException as e:
    print(json.dumps({"error": type(e).__name__, "message": str(e)}))
"""


def start_pull(server, options_header, ticket):
    """A `DoGet` of `ticket` in a child process; `finish_pull` tells how it ended."""
    return subprocess.Popen([sys.executable, "-c", PULL_SCRIPT, str(server.flight_port),
                             options_header, ticket.ticket.hex()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_pull(proc, timeout=60):
    out, err = proc.communicate(timeout=timeout)
    lines = out.strip().splitlines()
    assert lines, err
    return json.loads(lines[-1])


def bearer_header(client, user, password):
    """The `authorization` header value of a bearer token for `user`."""
    return client.authenticate_basic_token(user, password)[1].decode()


# -- tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_every_kpi_query_returns_the_same_rows_over_flight_as_over_pgwire(server, adbc, query):
    sql = query.read_text()
    with adbc.cursor() as cur:
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    expected = pg_rows(server, sql)
    assert table.num_rows == len(expected)
    assert same_rows([tuple(r.values()) for r in table.to_pylist()], expected)


@pytest.mark.parametrize("query", QUERIES, ids=[q.stem for q in QUERIES])
def test_flight_info_schema_equals_the_stream_schema(server, query):
    client = flight_client(server)
    options = bearer_options(client, "admin", server.password)
    info, table = info_and_table(client, options, query.read_text())
    assert info.schema.equals(table.schema, check_metadata=True), (info.schema, table.schema)
    # Classic types only: every client reads them.
    for field in table.schema:
        assert not pa.types.is_string_view(field.type) and \
            not pa.types.is_dictionary(field.type), field


def test_adbc_binds_question_mark_parameters_and_reexecutes(server, adbc):
    sql = ("SELECT course_id, credit_hours FROM dim_course WHERE course_level = ? "
           "AND credit_hours >= ? ORDER BY course_id")
    pg_sql = sql.replace("?", "%s")
    with adbc.cursor() as cur:
        answers = []
        for level in (1000, 3000, 5000):
            cur.execute(sql, (level, 3))
            answers.append(cur.fetchall())
        cur.execute("SELECT ? || '-' || ? AS joined, '?' AS literal", ("a", "b"))
        assert cur.fetchall() == [("a-b", "?")]
    expected = [pg_rows_params(server, pg_sql, (level, 3)) for level in (1000, 3000, 5000)]
    assert all(answers), answers
    assert answers[0] != answers[1]
    for got, want in zip(answers, expected):
        assert same_rows(got, want)


def test_adbc_settings_persist_across_statements_of_a_connection(adbc):
    with adbc.cursor() as cur:
        cur.execute("SET statement_timeout = '7s'")
        cur.execute("SHOW statement_timeout")
        assert cur.fetchall() == [("7s",)]


@pytest.fixture(scope="module")
def writable(lyceum_bin, warehouse, tmp_path_factory):
    """A server on a copy of the shared warehouse, for tests that commit."""
    copy = tmp_path_factory.mktemp("flight-writes") / "wh"
    shutil.copytree(warehouse, copy)
    with LyceumServer(lyceum_bin, copy) as s:
        yield s


def test_adbc_executemany_and_prepared_updates_write_sandbox_tables(writable):
    conn = adbc_connect(writable)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE sandbox.flight_cohort (student_id text, label text)")
            cur.executemany("INSERT INTO sandbox.flight_cohort VALUES (?, ?)",
                            [("S1", "a"), ("S2", "b"), ("S3", "c")])
            cur.execute("SELECT count(*) AS n FROM sandbox.flight_cohort")
            assert cur.fetchall() == [(3,)]
    finally:
        conn.close()
    assert pg_rows(writable, "SELECT student_id, label FROM sandbox.flight_cohort "
                             "ORDER BY student_id") == [("S1", "a"), ("S2", "b"), ("S3", "c")]


def test_sql_begin_and_commit_span_statements_of_one_flight_session(writable):
    """Flight SQL offers no BeginTransaction, but SQL BEGIN ... COMMIT in one session
    holds its writes back until COMMIT, and ROLLBACK drops them, as over pgwire."""
    conn = adbc_connect(writable)
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE sandbox.flight_tx (n integer)")
            cur.execute("BEGIN")
            cur.execute("INSERT INTO sandbox.flight_tx VALUES (1), (2)")
            cur.execute("SELECT count(*) AS n FROM sandbox.flight_tx")
            assert cur.fetchall() == [(2,)], "the transaction sees its own writes"
            assert pg_rows(writable, "SELECT count(*) FROM sandbox.flight_tx") == [(0,)]
            cur.execute("COMMIT")
            assert pg_rows(writable, "SELECT count(*) FROM sandbox.flight_tx") == [(2,)]
            cur.execute("BEGIN")
            cur.execute("INSERT INTO sandbox.flight_tx VALUES (3)")
            cur.execute("ROLLBACK")
            cur.execute("SELECT count(*) AS n FROM sandbox.flight_tx")
            assert cur.fetchall() == [(2,)]
    finally:
        conn.close()


def test_types_keep_their_meaning(server, adbc):
    with adbc.cursor() as cur:
        cur.execute("SELECT course_id, credit_hours, is_gateway, course_level "
                    "FROM dim_course ORDER BY course_id LIMIT 2")
        table = cur.fetch_arrow_table()
        cur.execute("SELECT date_key, full_date FROM dim_date ORDER BY date_key LIMIT 1")
        dates = cur.fetch_arrow_table()
    types = {f.name: f.type for f in table.schema}
    assert types["course_id"] == pa.string()
    assert pa.types.is_decimal(types["credit_hours"])
    assert types["is_gateway"] == pa.bool_()
    assert types["course_level"] == pa.int16()
    assert dates.schema.field("full_date").type == pa.date32()


def test_a_session_option_returns_view_types_as_they_are(server):
    conn = adbc_connect(server)
    sql = "SELECT course_id FROM dim_course ORDER BY course_id LIMIT 3"
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            classic = cur.fetch_arrow_table()
            cur.execute("SET lyceum.arrow_view_types = true")
            cur.execute(sql)
            views = cur.fetch_arrow_table()
            cur.execute("RESET lyceum.arrow_view_types")
            cur.execute(sql)
            again = cur.fetch_arrow_table()
    finally:
        conn.close()
    assert classic.schema.field("course_id").type == pa.string()
    assert views.schema.field("course_id").type == pa.string_view()
    assert again.schema.field("course_id").type == pa.string()
    assert views.column("course_id").to_pylist() == classic.column("course_id").to_pylist()


def test_pandas_and_polars_read_a_kpi_query_over_flight(server, adbc):
    import pandas
    import polars
    sql = (ROOT / "queries" / "01_gpa_by_department_term.sql").read_text()
    expected = pg_rows(server, sql)
    frame = pandas.read_sql(sql, adbc)
    assert same_rows(list(frame.itertuples(index=False, name=None)), expected)
    pl_frame = polars.read_database(sql, connection=adbc)
    assert same_rows(pl_frame.rows(), expected)


def test_adbc_metadata_lists_catalog_schemas_tables_and_columns(server, adbc):
    objects = adbc.adbc_get_objects(depth="all").read_all().to_pylist()
    assert [c["catalog_name"] for c in objects] == ["lyceum"]
    schemas = {s["db_schema_name"]: s for s in objects[0]["catalog_db_schemas"]}
    assert {"public", "system", "pg_catalog", "information_schema"} <= set(schemas)
    tables = {t["table_name"]: t for t in schemas["public"]["db_schema_tables"]}
    assert {"dim_student", "dim_course", "fact_enrollment", "fact_attendance"} <= set(tables)
    assert tables["dim_course"]["table_type"] == "TABLE"
    columns = [c["column_name"] for c in tables["dim_course"]["table_columns"]]
    with psycopg.connect(**server.conninfo(), autocommit=True) as c:
        pg_columns = [r[0] for r in c.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'dim_course' ORDER BY ordinal_position").fetchall()]
    assert columns == pg_columns
    system = {t["table_name"]: t["table_type"] for t in schemas["system"]["db_schema_tables"]}
    assert system["snapshots"] == "SYSTEM TABLE"

    schema = adbc.adbc_get_table_schema("dim_course", db_schema_filter="public")
    assert schema.names == pg_columns
    assert schema.field("course_id").type == pa.string()
    assert set(adbc.adbc_get_table_types()) == {"TABLE", "VIEW", "SYSTEM TABLE"}
    info = adbc.adbc_get_info()
    assert info["vendor_name"] == "Lyceum"

    # Patterns and filters reach the server's answer.
    only = adbc.adbc_get_objects(depth="tables", db_schema_filter="pub%",
                                 table_name_filter="dim\\_c%").read_all().to_pylist()
    names = [t["table_name"] for s in only[0]["catalog_db_schemas"]
             for t in s["db_schema_tables"]]
    assert names == ["dim_course"]


def test_a_bearer_token_works_across_calls_and_connections(server):
    client = flight_client(server)
    options = bearer_options(client, "admin", server.password)
    _, first = info_and_table(client, options, "SELECT 1 AS one")
    # The same token on a second connection, and again on the first.
    other = flight_client(server)
    _, second = info_and_table(other, options, "SELECT 2 AS two")
    _, third = info_and_table(client, options, "SELECT 3 AS three")
    assert [first.to_pylist(), second.to_pylist(), third.to_pylist()] == [
        [{"one": 1}], [{"two": 2}], [{"three": 3}]]
    # Basic credentials on a call without a Handshake.
    _, basic = info_and_table(flight_client(server), basic_options("admin", server.password),
                              "SELECT 4 AS four")
    assert basic.to_pylist() == [{"four": 4}]


def test_settings_persist_in_the_session_of_a_token(server):
    client = flight_client(server)
    options = bearer_options(client, "admin", server.password)
    update = command("CommandStatementUpdate", _field(1, b"SET lyceum.as_of = 0"))
    # A DoPut of CommandStatementUpdate with no data runs the statement.
    writer, reader = client.do_put(flight.FlightDescriptor.for_command(update),
                                   pa.schema([]), options)
    writer.done_writing()
    reader.read()
    writer.close()
    _, table = info_and_table(client, options, "SELECT max(version) AS v FROM system.snapshots")
    assert table.to_pylist() == [{"v": 0}]
    # Another token's session reads the latest version.
    fresh = bearer_options(client, "admin", server.password)
    _, latest = info_and_table(client, fresh, "SELECT max(version) AS v FROM system.snapshots")
    assert latest.to_pylist()[0]["v"] > 0


def test_bad_credentials_tokens_tickets_and_sql_get_the_right_codes(server):
    client = flight_client(server)
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.authenticate_basic_token("admin", "wrong password")
    with pytest.raises(flight.FlightUnauthenticatedError):
        client.get_flight_info(flight.FlightDescriptor.for_command(statement_query("SELECT 1")))
    with pytest.raises(flight.FlightUnauthenticatedError):
        info_and_table(client, basic_options("nobody", "x"), "SELECT 1")
    forged = flight.FlightCallOptions(headers=[(b"authorization", b"Bearer eyJrIjoiYmVhcmVyIn0.AAAA")])
    with pytest.raises(flight.FlightUnauthenticatedError):
        info_and_table(client, forged, "SELECT 1")
    with pytest.raises(flightsql.ProgrammingError, match="UNAUTHENTICATED"):
        flightsql.connect(server.flight_uri(), db_kwargs={"username": "admin",
                                                          "password": "nope"}).cursor()

    admin = bearer_options(client, "admin", server.password)
    info = client.get_flight_info(
        flight.FlightDescriptor.for_command(statement_query("SELECT 1 AS x")), admin)
    reader = bearer_options(client, "flight_reader", "reader-pw")
    with pytest.raises(flight.FlightUnauthorizedError, match="another user"):
        client.do_get(info.endpoints[0].ticket, reader).read_all()
    # pyarrow raises ArrowInvalid for INVALID_ARGUMENT, KeyError for NOT_FOUND.
    with pytest.raises(pa.ArrowInvalid, match="invalid argument.*SQLSTATE 08P01"):
        client.do_get(flight.Ticket(command("TicketStatementQuery", _field(1, b"junk"))),
                      admin).read_all()
    with pytest.raises(pa.ArrowInvalid, match="invalid argument.*SQLSTATE 42601"):
        client.get_flight_info(
            flight.FlightDescriptor.for_command(statement_query("SELEC 1")), admin)
    with pytest.raises(KeyError, match="SQLSTATE 42P01"):
        client.get_flight_info(
            flight.FlightDescriptor.for_command(statement_query("SELECT * FROM nope")), admin)
    with pytest.raises(pa.ArrowInvalid):
        client.get_flight_info(flight.FlightDescriptor.for_command(b"not a command"), admin)

    # Both endpoints still serve.
    _, table = info_and_table(client, admin, "SELECT 5 AS five")
    assert table.to_pylist() == [{"five": 5}]
    assert pg_rows(server, "SELECT 6") == [(6,)]


def test_reader_cannot_read_quarantine_over_flight(server):
    client = flight_client(server)
    reader = bearer_options(client, "flight_reader", "reader-pw")
    with pytest.raises(flight.FlightUnauthorizedError, match="42501"):
        info_and_table(client, reader, "SELECT * FROM system.quarantine")


def test_a_large_pull_streams_in_messages_clients_accept(server, adbc):
    # fact_attendance whole: more rows than one message holds.
    with adbc.cursor() as cur:
        cur.execute("SELECT * FROM fact_attendance")
        table = cur.fetch_arrow_table()
    with psycopg.connect(**server.conninfo(), autocommit=True) as c:
        count, = c.execute("SELECT count(*) FROM fact_attendance").fetchone()
    assert table.num_rows == count
    keys = [c for c in table.column_names if c.endswith("_key")]
    assert keys, table.schema
    with psycopg.connect(**server.conninfo(), autocommit=True) as c:
        expected = c.execute("SELECT %s FROM fact_attendance" % ", ".join(
            "sum(%s)::bigint" % k for k in keys)).fetchone()
    assert tuple(pa.compute.sum(table[k]).as_py() for k in keys) == expected
    # No message over gRPC's 4 MiB default: this client would have refused it.
    json.dumps(table.schema.names)


def test_adbc_ingest_creates_appends_replaces_and_joins_with_the_warehouse(writable):
    ids = [r[0] for r in pg_rows(writable, "SELECT student_id FROM dim_student "
                                           "WHERE is_current ORDER BY student_id LIMIT 40")]
    cohort = pa.table({"student_id": ids,
                       "cohort": ["a" if i % 2 else "b" for i in range(len(ids))],
                       "weight": [float(i) for i in range(len(ids))]})
    conn = adbc_connect(writable)
    try:
        with conn.cursor() as cur:
            assert cur.adbc_ingest("cohort", cohort, mode="create",
                                   db_schema_name="sandbox") == len(ids)
            with pytest.raises(flightsql.Error, match="already exists"):
                cur.adbc_ingest("cohort", cohort, mode="create", db_schema_name="sandbox")
            assert cur.adbc_ingest("cohort", cohort, mode="append",
                                   db_schema_name="sandbox") == len(ids)
            cur.execute("SELECT count(*) FROM sandbox.cohort")
            assert cur.fetchall() == [(2 * len(ids),)]
            assert cur.adbc_ingest("cohort", cohort.slice(0, 10), mode="replace",
                                   db_schema_name="sandbox") == 10
            cur.execute("SELECT c.cohort, count(*) AS n FROM sandbox.cohort c "
                        "JOIN dim_student s ON s.student_id = c.student_id AND s.is_current "
                        "GROUP BY c.cohort ORDER BY c.cohort")
            assert cur.fetchall() == [("a", 5), ("b", 5)]
            # The star schema and system refuse ingest: PERMISSION_DENIED, 42501.
            for schema in ("public", "system"):
                with pytest.raises(flightsql.Error, match="42501"):
                    cur.adbc_ingest("dim_student", cohort, mode="append",
                                    db_schema_name=schema)
        # The new table is in Flight metadata and pg_catalog at once.
        tables = [t["table_name"] for c in conn.adbc_get_objects(
            depth="tables", db_schema_filter="sandbox").read_all().to_pylist()
            for s in c["catalog_db_schemas"] for t in s["db_schema_tables"]]
        assert "cohort" in tables
        assert conn.adbc_get_table_schema("cohort", db_schema_filter="sandbox").names == [
            "student_id", "cohort", "weight"]
    finally:
        conn.close()
    assert pg_rows(writable, "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                             "ON n.oid = c.relnamespace WHERE n.nspname = 'sandbox' "
                             "AND c.relname = 'cohort'") == [(1,)]


def test_an_ingest_killed_mid_way_leaves_the_previous_version(lyceum_bin, warehouse,
                                                              tmp_path):
    copy = tmp_path / "wh"
    shutil.copytree(warehouse, copy)
    schema = pa.schema([("n", pa.int64()), ("label", pa.string())])
    with LyceumServer(lyceum_bin, copy) as server:
        before = pg_rows(server, "SELECT max(version) FROM system.snapshots")
        conn = adbc_connect(server)
        sent = []

        def slow_batches():
            for i in range(10_000):
                if i == 5:
                    # Rows are on their way into the table: kill the server now.
                    server.proc.kill()
                    server.proc.wait()
                sent.append(i)
                yield pa.record_batch([pa.array(range(i * 1000, (i + 1) * 1000)),
                                       pa.array(["x" * 20] * 1000)], schema=schema)

        reader = pa.RecordBatchReader.from_batches(schema, slow_batches())
        with pytest.raises(Exception):
            with conn.cursor() as cur:
                cur.adbc_ingest("killed", reader, mode="create", db_schema_name="sandbox")
        try:
            conn.close()
        except Exception:
            pass
        assert len(sent) >= 5
    with LyceumServer(lyceum_bin, copy) as server:
        assert pg_rows(server, "SELECT max(version) FROM system.snapshots") == before
        assert pg_rows(server, "SELECT count(*) FROM pg_class WHERE relname = 'killed'") == [
            (0,)]
        # The warehouse still takes writes.
        assert pg_rows(server, "SELECT count(*) FROM fact_enrollment")[0][0] > 0


def test_cancel_flight_info_stops_a_running_query(server):
    client = flight_client(server)
    options = bearer_options(client, "admin", server.password)
    # Minutes of work that yields between batches (a plan whose operators never yield,
    # such as an aggregate over a cross join, cannot be interrupted in DataFusion 55).
    sql = "SELECT sum(value % 7) AS s FROM generate_series(1, 20000000000) AS t(value)"
    info = client.get_flight_info(flight.FlightDescriptor.for_command(statement_query(sql)),
                                  options)
    started = time.monotonic()
    puller = start_pull(server, bearer_header(client, "admin", server.password),
                        info.endpoints[0].ticket)
    time.sleep(1.5)
    # Another user cannot cancel it.
    reader = bearer_options(client, "flight_reader", "reader-pw")
    with pytest.raises(flight.FlightUnauthorizedError):
        list(client.do_action(flight.Action("CancelFlightInfo", _field(1, info.serialize())),
                              reader))
    results = list(client.do_action(
        flight.Action("CancelFlightInfo", _field(1, info.serialize())), options))
    assert results and results[0].body.to_pybytes() == b"\x08\x01"  # CANCEL_STATUS_CANCELLED
    outcome = finish_pull(puller)
    assert outcome.get("error") == "FlightCancelledError", outcome
    assert "57014" in outcome["message"], outcome
    assert time.monotonic() - started < 30
    # Nothing of it runs any more: not cancellable (CANCEL_STATUS_NOT_CANCELLABLE).
    results = list(client.do_action(
        flight.Action("CancelFlightInfo", _field(1, info.serialize())), options))
    assert results[0].body.to_pybytes() == b"\x08\x03"
    _, table = info_and_table(client, options, "SELECT 7 AS seven")
    assert table.to_pylist() == [{"seven": 7}]


# -- a pull far larger than the server's memory limit -------------------------------------

PULL_SCALE = os.environ.get("LYCEUM_PULL_SCALE", "0.1")
PULL_MEMORY_LIMIT_MIB = 24


@pytest.fixture(scope="module")
def pull_warehouse(lyceum_bin, tmp_path_factory):
    """A warehouse at SF 0.1 (LYCEUM_PULL_SCALE): fact_attendance holds millions of rows."""
    root = tmp_path_factory.mktemp("pull")
    src, wh = root / "src", root / "wh"
    for cmd in ([lyceum_bin, "generate", "--scale", PULL_SCALE, "--out", src, "--seed", "7"],
                [lyceum_bin, "load", "--source", src, "--warehouse", wh]):
        subprocess.run([str(c) for c in cmd], check=True, capture_output=True)
    shutil.rmtree(src)
    return wh


def peak_rss_kib(pid):
    for line in Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


def column_checksums_sql(schema, table):
    """SQL computing, over pgwire, what `column_checksums_arrow` computes on the client."""
    parts = ["count(*)"]
    for f in schema:
        name = f.name
        parts.append("count(%s)" % name)
        if pa.types.is_integer(f.type):
            parts.append("sum(%s::bigint)::bigint" % name)
        elif pa.types.is_string(f.type):
            parts += ["sum(length(%s))::bigint" % name, "min(%s)" % name, "max(%s)" % name]
        elif pa.types.is_boolean(f.type):
            parts.append("sum(CASE WHEN %s THEN 1 ELSE 0 END)::bigint" % name)
        else:
            raise AssertionError("no checksum for %s %s" % (name, f.type))
    # One term mixing columns, so that values moved between rows would show.
    parts.append("sum((student_key * 31 + section_key * 17 + date_key) % 1000003)::bigint")
    return "SELECT %s FROM %s" % (", ".join(parts), table)


def column_checksums_arrow(table):
    pc = pa.compute
    out = [table.num_rows]
    for f in table.schema:
        col = table[f.name]
        out.append(len(col) - col.null_count)
        if pa.types.is_integer(f.type):
            out.append(pc.sum(pc.cast(col, pa.int64())).as_py())
        elif pa.types.is_string(f.type):
            out += [pc.sum(pc.utf8_length(col)).as_py(), pc.min(col).as_py(),
                    pc.max(col).as_py()]
        elif pa.types.is_boolean(f.type):
            out.append(pc.sum(pc.cast(col, pa.int64())).as_py())
    mix = pc.add(pc.add(pc.multiply(pc.cast(table["student_key"], pa.int64()), 31),
                        pc.multiply(pc.cast(table["section_key"], pa.int64()), 17)),
                 pc.cast(table["date_key"], pa.int64()))
    out.append(pc.sum(pc.subtract(mix, pc.multiply(pc.divide(mix, 1000003), 1000003))).as_py())
    return tuple(out)


def test_a_full_fact_attendance_pull_arrives_whole_in_bounded_server_memory(
        lyceum_bin, pull_warehouse):
    with LyceumServer(lyceum_bin, pull_warehouse, "--memory-limit",
                      "%dMiB" % PULL_MEMORY_LIMIT_MIB) as server:
        conn = adbc_connect(server)
        try:
            with conn.cursor() as cur:
                # Warm up: the pinned snapshot and the table's metadata are in memory.
                cur.execute("SELECT count(*) FROM fact_attendance")
                cur.fetchall()
                before = peak_rss_kib(server.proc.pid)
                cur.execute("SELECT * FROM fact_attendance")
                batches = []
                for batch in cur.fetch_record_batch():
                    batches.append(batch)
                peak = peak_rss_kib(server.proc.pid)
        finally:
            conn.close()
        table = pa.Table.from_batches(batches)
        result_mib = table.nbytes / 2**20
        growth_mib = (peak - before) / 1024
        print("\nfact_attendance: %d rows, %.0f MiB as Arrow in %d batches; server peak RSS "
              "%.0f MiB (+%.0f MiB while streaming), memory limit %d MiB" % (
                  table.num_rows, result_mib, len(batches), peak / 1024, growth_mib,
                  PULL_MEMORY_LIMIT_MIB))
        with psycopg.connect(**server.conninfo(), autocommit=True) as c:
            expected = c.execute(column_checksums_sql(table.schema, "fact_attendance")
                                 ).fetchone()
    assert column_checksums_arrow(table) == tuple(expected)
    assert result_mib > 3 * PULL_MEMORY_LIMIT_MIB, result_mib
    # The server streams: a few batches in flight, never the result.
    assert growth_mib < result_mib / 3, (growth_mib, result_mib)


def test_sigterm_stops_both_endpoints_after_the_grace_period(lyceum_bin, warehouse):
    server = LyceumServer(lyceum_bin, warehouse, "--shutdown-grace", "1").__enter__()
    try:
        client = flight_client(server)
        options = bearer_options(client, "admin", server.password)
        # A Flight pull and a pgwire query, both far longer than the grace period.
        sql = "SELECT sum(value % 7) AS s FROM generate_series(1, 20000000000) AS t(value)"
        info = client.get_flight_info(
            flight.FlightDescriptor.for_command(statement_query(sql)), options)
        puller = start_pull(server, bearer_header(client, "admin", server.password),
                            info.endpoints[0].ticket)
        outcome = {}

        def query():
            try:
                with psycopg.connect(**server.conninfo(), autocommit=True) as c:
                    c.execute(sql).fetchall()
                outcome["pg"] = "finished"
            except Exception as e:  # noqa: BLE001 - the test inspects it
                outcome["pg"] = e

        pg_query = threading.Thread(target=query)
        pg_query.start()
        time.sleep(1.5)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        status = server.proc.wait(timeout=20)
        stopped_after = time.monotonic() - started
        pg_query.join(20)
        outcome["flight"] = finish_pull(puller)
    finally:
        server.stop()
    assert status == 0, server.stderr()[-3000:]
    assert stopped_after < 8, stopped_after
    # A result cut short is an error, never a complete-looking result.
    assert outcome["flight"].get("error") == "FlightUnavailableError", outcome
    assert isinstance(outcome.get("pg"), psycopg.OperationalError), outcome
    # Neither endpoint accepts work any more.
    with pytest.raises(flight.FlightUnavailableError):
        flight_client(server).get_flight_info(
            flight.FlightDescriptor.for_command(statement_query("SELECT 1")),
            flight.FlightCallOptions(timeout=5))
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(**server.conninfo(connect_timeout=3))


def test_flight_serves_tls_with_the_postgres_certificate(lyceum_bin, warehouse, tmp_path):
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with LyceumServer(lyceum_bin, warehouse, "--tls-cert", cert, "--tls-key", key) as server:
        assert any("grpc+tls://" in line for line in server.stdout_lines)
        uri = "grpc+tls://127.0.0.1:%d" % server.flight_port
        conn = flightsql.connect(uri, db_kwargs={
            "username": "admin", "password": server.password,
            "adbc.flight.sql.client_option.tls_root_certs": cert.read_text()})
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT count(*) AS n FROM dim_course")
                flight_count = cur.fetchall()
        finally:
            conn.close()
        assert flight_count == pg_rows(server, "SELECT count(*) FROM dim_course")
        # The plaintext scheme gets no answer from a TLS endpoint.
        plain_client = flight.FlightClient("grpc://127.0.0.1:%d" % server.flight_port)
        with pytest.raises(flight.FlightError):
            plain_client.authenticate_basic_token("admin", server.password,
                                                  flight.FlightCallOptions(timeout=5))
        # The same certificate serves the Postgres wire.
        with psycopg.connect(**server.conninfo(sslmode="verify-ca", sslrootcert=str(cert)),
                             autocommit=True) as c:
            assert c.pgconn.ssl_in_use
            assert c.execute("SELECT 1").fetchone() == (1,)


def test_both_endpoints_share_the_session_limit(lyceum_bin, warehouse):
    with LyceumServer(lyceum_bin, warehouse, "--max-connections", "2") as server:
        client = flight_client(server)
        with psycopg.connect(**server.conninfo(), autocommit=True) as pg:
            # One Postgres connection and one Flight session (a token) take both places.
            options = bearer_options(client, "admin", server.password)
            with pytest.raises(pa.ArrowException, match="53300"):
                client.authenticate_basic_token("admin", server.password)
            with pytest.raises(psycopg.OperationalError, match="too many"):
                psycopg.connect(**server.conninfo())
            # The sessions that hold places keep working.
            _, table = info_and_table(client, options, "SELECT 1 AS one")
            assert table.to_pylist() == [{"one": 1}]
            assert pg.execute("SELECT 2").fetchone() == (2,)
        # The Postgres connection's place is free again.
        time.sleep(0.3)
        _, table = info_and_table(client, basic_options("admin", server.password),
                                  "SELECT 3 AS three")
        assert table.to_pylist() == [{"three": 3}]


def test_statement_timeout_stops_a_flight_query_with_deadline_exceeded(server):
    conn = adbc_connect(server)
    try:
        with conn.cursor() as cur:
            cur.execute("SET statement_timeout = 500")
            started = time.monotonic()
            with pytest.raises(flightsql.Error) as failure:
                cur.execute("SELECT sum(value % 7) AS s "
                            "FROM generate_series(1, 20000000000) AS t(value)")
                cur.fetchall()
            assert time.monotonic() - started < 15
            message = str(failure.value)
            assert "DeadlineExceeded" in message and "57014" in message, message
            assert "statement timeout" in message, message
            # The session goes on, with its setting.
            cur.execute("SHOW statement_timeout")
            assert cur.fetchall() == [("500ms",)]
    finally:
        conn.close()

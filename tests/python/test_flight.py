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
import shutil
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


@pytest.fixture
def adbc(server):
    conn = flightsql.connect(server.flight_uri(), db_kwargs={
        "username": "admin", "password": server.password})
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
    conn = flightsql.connect(writable.flight_uri(), db_kwargs={
        "username": "admin", "password": writable.password})
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

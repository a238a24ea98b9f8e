"""The PostgreSQL-compatibility corpus (tests/pg_corpus/*.sql, see pg_corpus.py): every
query runs on Lyceum and on a PostgreSQL 15 loaded with the same warehouse snapshot.

The test prints the counts (identical / refused / different). Its goal is no query
`different`; until every difference is fixed or refused, the queries known to differ are
listed in `tests/pg_corpus/known_different.txt`, and the test fails when a query not on the
list differs (a regression) or a listed one no longer differs (the list must shrink with
each fix), and when the share of identical answers falls below the recorded floor.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pg_corpus  # noqa: E402
from lyceum_server import LyceumServer  # noqa: E402
from pg_reference import PostgresReference  # noqa: E402

KNOWN_DIFFERENT = pg_corpus.CORPUS_DIR / "known_different.txt"
# The share of identical answers this commit reached; raise it as fixes land.
IDENTICAL_FLOOR = 0.83


def known_different():
    ids = set()
    for line in KNOWN_DIFFERENT.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ids.add(line)
    return ids


def test_corpus_is_large_and_well_formed():
    queries = pg_corpus.load_corpus()
    assert len(queries) >= 300, "the corpus has %d queries, fewer than 300" % len(queries)
    ids = [q.id for q in queries]
    assert len(ids) == len(set(ids))
    assert all(q.description for q in queries), [q.id for q in queries if not q.description]
    assert known_different() <= set(ids), known_different() - set(ids)


@pytest.fixture(scope="module")
def outcomes(lyceum_bin, warehouse):
    try:
        reference = PostgresReference()
    except RuntimeError as e:
        pytest.fail(str(e))
    with reference as pg:
        pg_corpus.load_reference(pg, warehouse)
        with LyceumServer(lyceum_bin, warehouse) as server:
            return pg_corpus.run_corpus(server.conninfo(), pg.conninfo(),
                                        pg_corpus.load_corpus())


def test_corpus_answers_as_postgresql_or_refuses(outcomes):
    print("\n" + pg_corpus.summary(outcomes))
    known = known_different()
    different = {o.query.id: o for o in outcomes if o.kind == "different"}
    new = sorted(set(different) - known)
    fixed = sorted(known - set(different))
    assert not new, "queries that now give a different answer than PostgreSQL 15:\n%s" % "\n".join(
        "%s: %s\n    %s" % (i, different[i].detail, different[i].query.sql) for i in new)
    assert not fixed, ("queries listed in %s no longer differ (remove them from the list): %s"
                       % (KNOWN_DIFFERENT.name, fixed))
    identical = sum(1 for o in outcomes if o.kind == "identical") / len(outcomes)
    assert identical >= IDENTICAL_FLOOR, "identical share %.3f below the floor %.2f" % (
        identical, IDENTICAL_FLOOR)

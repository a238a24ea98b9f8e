"""A throwaway PostgreSQL 15 server (Debian's `postgresql`) with Lyceum's star schema and
no rows: the reference the BI-tool replay compares with and the wire benchmark's baseline.

    with PostgresReference() as pg:
        psycopg.connect(**pg.conninfo())     # over its Unix socket
        pg.tcp_conninfo()                     # 127.0.0.1, for clients that need TCP

`trust` authentication, loopback only; as root it runs as Debian's `postgres` user
(initdb refuses root).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresReference:
    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError("PostgreSQL 15 is needed as the reference "
                               "(apt-get install postgresql)")
        self.base = Path(tempfile.mkdtemp(prefix="lyceum-pgref-", dir="/tmp"))
        self.prefix = []
        if os.geteuid() == 0:
            shutil.chown(self.base, user="postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.data, self.port = self.base / "data", free_port()

    def __enter__(self):
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "--no-sync")
            self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.base / "log"), "-o",
                      "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.base),
                      "start")
            with psycopg.connect(**self.conninfo(dbname="postgres"), autocommit=True) as c:
                c.execute("CREATE DATABASE lyceum")
            schema = (ROOT / "crates" / "catalog" / "schema.sql").read_text()
            schema = re.sub(r"\bDOUBLE\b(?! PRECISION)", "DOUBLE PRECISION", schema)
            with psycopg.connect(**self.conninfo(), autocommit=True) as c:
                c.execute(schema)
                c.execute("CREATE SCHEMA system")
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _run(self, tool, *args):
        subprocess.run(self.prefix + [str(PG_BIN / tool), *args], check=True,
                       capture_output=True)

    def conninfo(self, **overrides):
        info = dict(host=str(self.base), port=self.port, user="postgres", dbname="lyceum")
        info.update(overrides)
        return info

    def tcp_conninfo(self):
        return "host=127.0.0.1 port=%d user=postgres dbname=lyceum" % self.port

    def stop(self):
        subprocess.run(self.prefix + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m",
                                      "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)

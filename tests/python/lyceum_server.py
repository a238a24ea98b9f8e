"""Start `lyceum serve` on an ephemeral loopback port, for tests and benchmarks.

    with LyceumServer(lyceum_bin, warehouse) as server:
        psycopg.connect(**server.conninfo())

The first administrator is `admin` with password `server.password` (LYCEUM_ADMIN_PASSWORD
for a warehouse that has no users yet; a warehouse that has users keeps theirs).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time

LISTENING = re.compile(r"^lyceum: postgres wire listening on [^ ]*:(\d+) ")
FLIGHT_LISTENING = re.compile(r"^lyceum: flight sql listening on [^ ]*:(\d+) ")
DEFAULT_PASSWORD = "test-admin-pw"


class LyceumServer:
    def __init__(self, lyceum_bin, warehouse, *extra_args, password=DEFAULT_PASSWORD,
                 env=None, timeout=60):
        self.password = password
        self.args = [str(lyceum_bin), "serve", "--warehouse", str(warehouse),
                     "--pg-addr", "127.0.0.1:0", *map(str, extra_args)]
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("LYCEUM_"):
                del self.env[k]
        self.env["LYCEUM_ADMIN_PASSWORD"] = password
        # Servers of tests running at once each take a free port, Flight's too.
        self.env["LYCEUM_FLIGHT_ADDR"] = "127.0.0.1:0"
        self.env.setdefault("LYCEUM_LOG", "info")
        self.env.update(env or {})
        self.timeout = timeout
        self.proc = None
        self.port = None
        self.flight_port = None
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=self.env)
        found = threading.Event()

        def read_stdout():
            for line in self.proc.stdout:
                self.stdout_lines.append(line)
                f = FLIGHT_LISTENING.match(line)
                if f:
                    self.flight_port = int(f.group(1))
                m = LISTENING.match(line)
                if m:
                    self.port = int(m.group(1))
                    found.set()

        def read_stderr():
            for line in self.proc.stderr:
                self.stderr_lines.append(line)

        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()
        deadline = time.time() + self.timeout
        while not found.wait(0.1):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("lyceum serve did not start:\n%s%s" % (
                    "".join(self.stdout_lines), "".join(self.stderr_lines[-50:])))
        return self

    def conninfo(self, **overrides):
        info = dict(host="127.0.0.1", port=self.port, user="admin", password=self.password,
                    dbname="lyceum", connect_timeout=10)
        info.update(overrides)
        return info

    def flight_uri(self):
        """`grpc://127.0.0.1:PORT` of the Flight SQL endpoint."""
        return "grpc://127.0.0.1:%d" % self.flight_port

    def url(self, driver="postgresql+psycopg"):
        return "%s://admin:%s@127.0.0.1:%d/lyceum" % (driver, self.password, self.port)

    def stderr(self):
        return "".join(self.stderr_lines)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __exit__(self, *exc):
        self.stop()
        return False

"""Fixtures that run a real Kith binary for the client-library tests.

Environment:
  KITH_BIN                  the kith binary to test (required)
  KITH_TEST_BACKEND         sqlite (default) or postgres: each test gets a fresh database
  KITH_TEST_POSTGRES_URL    administrative URL of the PostgreSQL server
                            (default postgres://postgres@127.0.0.1:5432/postgres)
  KITH_CONFORMANCE_DIR      folder with mastodon-openapi-schema.json (default: tests/conformance,
                            shipped in the repository); a missing schema fails the tests
  KITH_TEST_LOG_DIR         where the kith.log of each instance of a failed test is copied
                            (default: kith-test-logs in the system's temporary folder)
"""

import contextlib
import json
import os
import pathlib
import re
import socket
import subprocess
import secrets
import tempfile
import time

import jsonschema
import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresDatabase:
    """A database made for one test and dropped after it (with psql, which ships with the server)."""

    def __init__(self):
        self.admin = os.environ.get("KITH_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        self.name = f"kith_py_{secrets.token_hex(6)}"
        self._psql(f"CREATE DATABASE {self.name}")
        self.url = self.admin.rsplit("/", 1)[0] + "/" + self.name

    def _psql(self, sql: str):
        subprocess.run(["psql", self.admin, "-qAtc", sql], check=True, capture_output=True, timeout=60)

    def drop(self):
        self._psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class Kith:
    def __init__(self, workdir: pathlib.Path, database_url: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.domain = f"localhost:{self.port}"
        self.workdir = workdir
        self.env = {
            **os.environ,
            "KITH_DEV_MODE": "true",
            "KITH_BIND": f"127.0.0.1:{self.port}",
            "KITH_DOMAIN": self.domain,
            "KITH_DATA_DIR": str(workdir / "data"),
            "KITH_DATABASE_URL": database_url,
        }
        self.bin = os.environ["KITH_BIN"]
        self.proc = None

    def cli(self, *args: str) -> str:
        out = subprocess.run([self.bin, *args], env=self.env, cwd=self.workdir,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"kith {' '.join(args)}: exit {out.returncode}: {out.stderr}"
        return out.stdout.strip()

    def start(self):
        self.log = open(self.workdir / "kith.log", "w")
        self.proc = subprocess.Popen([self.bin, "serve"], env=self.env, cwd=self.workdir,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.proc.poll() is None, (self.workdir / "kith.log").read_text()
            try:
                if requests.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError("kith did not become healthy")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remembers each phase's report on the test, so fixtures know whether it failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def failed(request) -> bool:
    return any(getattr(getattr(request.node, f"report_{when}", None), "failed", False)
               for when in ("setup", "call"))


@pytest.fixture
def kith_factory(request):
    """Returns make(backend=None, users=()) which starts one more Kith instance and returns it.

    Each instance has its own port, data folder and database: `backend` is "sqlite" or "postgres"
    (default KITH_TEST_BACKEND); `users` are created (password PASSWORD, email NAME@mail.example)
    before it starts. All instances are stopped and their databases dropped after the test; when
    the test failed, their kith.log files are kept in KITH_TEST_LOG_DIR."""
    logs = pathlib.Path(os.environ.get("KITH_TEST_LOG_DIR", pathlib.Path(tempfile.gettempdir()) / "kith-test-logs"))

    def stop(server: Kith):
        server.stop()
        log = server.workdir / "kith.log"
        if failed(request) and log.exists():
            logs.mkdir(parents=True, exist_ok=True)
            test = re.sub(r"[^\w.-]", "_", request.node.name)
            copy = logs / f"{test}-{server.backend}-{server.port}.log"
            copy.write_text(re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace")))
            print(f"kept {server.domain}'s log ({server.backend}): {copy}")

    with contextlib.ExitStack() as cleanup:  # runs every step, in reverse, even when one fails
        def make(backend=None, users=()):
            backend = backend or os.environ.get("KITH_TEST_BACKEND", "sqlite")
            assert backend in ("sqlite", "postgres"), backend
            pg = PostgresDatabase() if backend == "postgres" else None
            if pg:
                cleanup.callback(pg.drop)
            workdir = pathlib.Path(cleanup.enter_context(tempfile.TemporaryDirectory()))
            server = Kith(workdir, pg.url if pg else "")
            server.backend = backend
            cleanup.callback(stop, server)
            for name in users:
                server.cli("admin", "create-user", name, "--password", PASSWORD, "--email", f"{name}@mail.example")
            server.start()
            return server

        yield make


@pytest.fixture
def kith(kith_factory):
    """One instance on KITH_TEST_BACKEND with the user ana."""
    return kith_factory(users=["ana"])


@pytest.fixture(scope="session")
def conformance():
    """Returns check(entity_json, component) validating against the Mastodon OpenAPI schema."""
    folder = pathlib.Path(os.environ.get("KITH_CONFORMANCE_DIR", REPO / "tests" / "conformance"))
    spec = folder / "mastodon-openapi-schema.json"
    if not spec.exists():
        raise AssertionError(f"{spec} is missing: entities cannot be checked (see tests/conformance)")
    components = json.loads(spec.read_text())["components"]

    def check(value, component: str):
        ref = {"$ref": f"#/components/schemas/{component.removesuffix('[]')}"}
        schema = {**({"type": "array", "items": ref} if component.endswith("[]") else ref),
                  "components": components}
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=str)
        detail = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:160]}"
                           for e in errors[:10])
        assert not errors, f"{component}: {len(errors)} schema violation(s): {detail}"

    return check

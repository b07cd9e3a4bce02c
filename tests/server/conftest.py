"""Fixtures of the service tests: settings in a temporary data dir, the app, services."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

POSTGRES_URL = os.environ.get(
    "HORN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HORN_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
TEST_API_KEY = "horn_test_key_0123456789abcdef"
OTHER_API_KEY = "horn_other_tenant_key_0123456789"


def require_service(name: str, error: BaseException) -> None:
    """Skips the test when a service is unreachable; fails instead when `CI=true`."""
    skip_or_fail(f"{name} is not reachable ({type(error).__name__}: {error}).")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data dir."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path):
    """Settings on SQLite in a temporary data dir: bootstrap key, 1 MiB uploads, no auth cache,
    no spare predictor process."""
    from server.config import Settings

    return Settings(
        data_dir=data_dir,
        database_url=None,
        broker_url="filesystem://",
        redis_url=None,
        bootstrap_api_key=TEST_API_KEY,
        predictor_warm_spares=0,
        max_upload_mb=1,
        auth_cache_s=0,
        _env_file=None,
    )


class RecordingDispatcher:
    """Stands in for the Celery dispatcher in API unit tests: records (job_id, queue)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, settings, job_id: str, queue: str) -> None:
        self.calls.append((job_id, queue))


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    """The recording dispatcher injected into `app`."""
    return RecordingDispatcher()


@pytest.fixture
def app(settings, dispatcher):
    """The API app; jobs are recorded by `dispatcher` instead of sent to a broker."""
    from server.api.app import create_app
    from server.api.deps import get_job_dispatcher

    app = create_app(settings)
    app.dependency_overrides[get_job_dispatcher] = lambda: dispatcher
    return app


@pytest.fixture
def client(app) -> Iterator:
    """A TestClient with the app's lifespan running."""
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    """Headers with the bootstrap tenant's API key."""
    return {"Authorization": f"Bearer {TEST_API_KEY}"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema (dropped afterwards); skips if unreachable."""
    import sqlalchemy

    from server.store.db import make_engine

    schema = f"horn_test_{secrets.token_hex(4)}"
    engine = make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        engine.dispose()
        require_service(f"PostgreSQL at {POSTGRES_URL}", error)
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture
def postgres_db(postgres_url) -> Iterator[str]:
    """The test PostgreSQL schema, migrated; every table is emptied after the test."""
    import sqlalchemy

    from server.store.db import Base, make_engine
    from server.store.migrate import upgrade_database

    upgrade_database(postgres_url)
    yield postgres_url
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(sqlalchemy.text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis URL (database 13 unless HORN_TEST_REDIS_URL says otherwise); skips if down."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except Exception as error:
        require_service(f"Redis at {REDIS_URL}", error)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture(scope="session")
def e2e_helpers():
    """tests/server/test_e2e.py as a module, for its helpers (`start_horn(tmp_path, env,
    backend)` starts a real `horn up` and returns a `Horn`: `url`, `key`, `client`, `stop()`).

    Loaded by path: with `--import-mode=importlib` test modules are not importable by name.
    """
    path = Path(__file__).with_name("test_e2e.py")
    spec = importlib.util.spec_from_file_location("horn_e2e_helpers", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class PrivatePostgres:
    """A PostgreSQL server of the test's own, on a free port, that the test may stop and start.

    Built with Debian's `initdb` and `pg_ctl` run as the `postgres` user (the suite runs as
    root on the CI machine).
    """

    def __init__(self, folder: Path):
        import socket

        self.folder = folder
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        import subprocess

        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        """Creates the cluster (trust authentication, loopback only)."""
        import shutil

        shutil.chown(self.folder, "postgres", "postgres")
        self._run(_pg_binary("initdb"), "-D", str(self.folder / "data"), "-A", "trust")

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(_pg_binary("pg_ctl"), "-D", str(self.folder / "data"), "-o", options, "-l",
                  str(self.folder / "log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """Stops the server at once (open connections are dropped)."""
        self._run(_pg_binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                  "-w", "stop")  # fmt: skip


def _pg_binary(name: str) -> str:
    import glob

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise FileNotFoundError(name)
    return found[-1]


@pytest.fixture
def private_postgres(tmp_path_factory) -> Iterator[PrivatePostgres]:
    """A PostgreSQL of this test's own (see `PrivatePostgres`), started; stopped at the end."""
    import pwd
    import tempfile

    try:
        pwd.getpwnam("postgres")
        _pg_binary("pg_ctl")
        if os.geteuid() != 0:
            raise PermissionError("the suite does not run as root")
    except (KeyError, FileNotFoundError, PermissionError) as error:
        require_service("A private PostgreSQL (Debian's postgresql, run as root)", error)
    # Not under pytest's mode-700 folders: the postgres user must reach its data folder.
    server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="horn-pg-")))
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        import shutil

        shutil.rmtree(server.folder, ignore_errors=True)

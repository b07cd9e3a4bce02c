"""Applies the Alembic migrations shipped in `server/store/migrations` (no alembic.ini needed)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from server.store.db import make_engine, normalize_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Arbitrary constant key of the PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_KEY = 4_815_162_342


def alembic_config(url: str) -> Config:
    """Returns an Alembic config pointing at Horn's migrations and the database `url`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Brings the database at `url` to the latest schema; safe to call from several processes.

    Args:
        url: SQLAlchemy URL of the database (SQLite or PostgreSQL).
    """
    url = normalize_database_url(url)
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite" and sa_url.database not in (None, "", ":memory:"):
        database = Path(sa_url.database)
        database.parent.mkdir(parents=True, exist_ok=True)
        # Keys' hashes and every tenant's rows: readable by Horn's user only.
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = make_engine(url)
    try:
        with _upgrade_lock(url), engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
            try:
                _run_upgrade(url, connection)
            finally:
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY}
                    )
                    connection.commit()
    finally:
        engine.dispose()


def _run_upgrade(url: str, connection: Connection) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    connection.commit()


@contextlib.contextmanager
def _upgrade_lock(url: str) -> Iterator[None]:
    """Holds an exclusive file lock beside a SQLite database file (no-op for other databases)."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite" or sa_url.database in (None, "", ":memory:"):
        yield
        return
    lock_path = Path(sa_url.database + ".migrate.lock")
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)

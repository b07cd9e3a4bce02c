"""The `horn` command: keys and migrations (`horn up` is exercised by test_e2e.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from server.store.db import make_engine, session_factory, session_scope
from server.store.keys import authenticate

REPO_ROOT = Path(__file__).resolve().parents[2]


def horn(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HORN_")}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--data-dir", str(data_dir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_keys_create_prints_a_working_key(tmp_path):
    result = horn("keys", "create", "--tenant", "acme", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("horn_")
    engine = make_engine(f"sqlite:///{tmp_path / 'horn.db'}")
    try:
        with session_scope(session_factory(engine)) as session:
            tenant = authenticate(session, key)
            assert tenant is not None and tenant.name == "acme"
            assert authenticate(session, key + "x") is None
    finally:
        engine.dispose()


def test_keys_create_refuses_an_empty_tenant(tmp_path):
    result = horn("keys", "create", "--tenant", " ", data_dir=tmp_path)
    assert result.returncode == 1
    assert "Expected a non-empty tenant name" in result.stderr


def test_migrate_creates_the_database(tmp_path):
    result = horn("migrate", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "horn.db").is_file()


def test_horn_up_key_is_kept_across_starts(tmp_path):
    from server.cli import bootstrap_api_key
    from server.config import Settings
    from server.store.migrate import upgrade_database

    settings = Settings(data_dir=tmp_path)
    upgrade_database(settings.database_url)
    first = bootstrap_api_key(settings)
    assert bootstrap_api_key(settings) == first
    assert oct((tmp_path / "api-key").stat().st_mode & 0o777) == "0o600"
    chosen = Settings(data_dir=tmp_path, bootstrap_api_key="horn_chosen_key_for_compose_1234")
    assert bootstrap_api_key(chosen) == "horn_chosen_key_for_compose_1234"
    engine = make_engine(settings.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            for key in (first, "horn_chosen_key_for_compose_1234"):
                assert authenticate(session, key).name == "default"
    finally:
        engine.dispose()


def test_a_new_data_dir_and_database_are_private(tmp_path):
    # Issue 12, item 13: after a refused start the data dir was 0755 and horn.db 0644.
    import stat

    from server.store.artifacts import ensure_private_folder
    from server.store.migrate import upgrade_database

    data_dir = ensure_private_folder(tmp_path / "new" / "data")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    upgrade_database(f"sqlite:///{data_dir / 'horn.db'}")
    assert stat.S_IMODE((data_dir / "horn.db").stat().st_mode) == 0o600
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o1777)  # a sticky folder like /tmp stays as it is
    assert stat.S_IMODE(ensure_private_folder(shared).stat().st_mode) == 0o1777

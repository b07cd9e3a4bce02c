"""`horn secrets init`: the secrets a compose stack generates on its first start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

PINNABLE = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "HORN_BOOTSTRAP_API_KEY", "HORN_SERVING_TOKEN")


def run_secrets_init(folder: Path, **pinned: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in PINNABLE}
    environment.update(pinned)
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "secrets", "init", str(folder)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_secrets_init_generates_keeps_and_pins(tmp_path):
    folder = tmp_path / "secrets"
    first = run_secrets_init(folder)
    assert first.returncode == 0, first.stderr
    files = {path.name: path.read_text().strip() for path in folder.iterdir()}
    assert set(files) == {
        "postgres_password",
        "redis_password",
        "bootstrap_api_key",
        "serving_token",
        "database_url",
        "broker_url",
        "redis_url",
        "redis.conf",
    }
    secrets = [files[name] for name in ("postgres_password", "redis_password", "bootstrap_api_key")]
    assert len(set(secrets)) == 3 and all(len(secret) >= 40 for secret in secrets)
    assert files["database_url"] == (
        f"postgresql://horn:{files['postgres_password']}@postgres:5432/horn"
    )
    assert files["broker_url"] == f"redis://:{files['redis_password']}@redis:6379/0"
    assert files["redis.conf"] == f'requirepass "{files["redis_password"]}"'
    # Readable by PostgreSQL's and Redis's own users, writable by nobody.
    assert all((folder / name).stat().st_mode & 0o777 == 0o444 for name in files)

    # A second start keeps them; a pinned value replaces its secret and the URL built on it.
    pinned_password = 'p@ss/word with spaces and "quotes" 0123456789'
    second = run_secrets_init(folder, REDIS_PASSWORD=pinned_password)
    assert second.returncode == 0, second.stderr
    assert "pinned by the environment: REDIS_PASSWORD" in second.stdout
    assert (folder / "postgres_password").read_text().strip() == files["postgres_password"]
    assert (folder / "redis_password").read_text().strip() == pinned_password
    broker_url = (folder / "broker_url").read_text().strip()
    assert unquote(urlsplit(broker_url).password) == pinned_password
    assert not list(folder.glob(".*.tmp"))


@pytest.mark.parametrize("placeholder", ["changeme", "short-but-real"])
def test_secrets_init_refuses_a_pinned_placeholder(tmp_path, placeholder):
    result = run_secrets_init(tmp_path / "secrets", POSTGRES_PASSWORD=placeholder)
    assert result.returncode == 2
    assert "POSTGRES_PASSWORD is a placeholder or shorter than 20 characters" in result.stderr
    assert not (tmp_path / "secrets" / "database_url").exists()

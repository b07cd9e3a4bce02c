"""Settings: environment variables, defaults, production checks, documentation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from server.config import Settings

DOCS = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_and_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HORN_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("HORN_MAX_UPLOAD_MB", "2")
    monkeypatch.setenv("HORN_SANDBOX_NETWORK", "false")
    settings = Settings()
    assert settings.data_dir == (tmp_path / "d").resolve()
    assert settings.database_url == f"sqlite:///{(tmp_path / 'd' / 'horn.db').as_posix()}"
    assert settings.max_upload_bytes == 2 * 1024 * 1024
    assert settings.sandbox_network is False
    assert settings.is_filesystem_broker and settings.redis_url is None
    options = settings.broker_transport_options
    assert Path(options["data_folder_in"]) == settings.broker_dir / "queue"
    assert all(Path(folder).is_dir() for folder in options.values())
    assert Settings(broker_url="redis://localhost:6379/0").broker_transport_options == {}


@pytest.mark.parametrize("key", ["changeme", "secret", "short-key"])
def test_production_refuses_placeholder_secrets(key):
    with pytest.raises(ValidationError, match="HORN_BOOTSTRAP_API_KEY"):
        Settings(environment="production", bootstrap_api_key=key)
    assert Settings(environment="development", bootstrap_api_key=key).bootstrap_api_key == key
    long_key = "x" * 32
    assert Settings(environment="production", bootstrap_api_key=long_key).environment


def test_invalid_values_are_refused():
    with pytest.raises(ValidationError, match="max_upload_mb"):
        Settings(max_upload_mb=0)
    with pytest.raises(ValidationError, match="environment"):
        Settings(environment="staging")


def test_every_setting_is_documented():
    text = DOCS.read_text()
    for name in Settings.model_fields:
        assert f"`HORN_{name.upper()}`" in text, name
        assert f"`HORN_{name.upper()}`" in Settings.__doc__, name

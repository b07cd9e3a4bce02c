"""Suite-wide settings: quiet TensorFlow, deterministic seeds, CI makes missing services fatal."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def skip_or_fail(message: str) -> None:
    """Skips the calling test because a prerequisite (a service, a browser) is missing; fails
    it instead when `CI` is `true` in any case (`CI=true`, `CI=True`), where the prerequisite
    must be there."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} CI=true requires it.")
    pytest.skip(f"{message} (CI=true makes this a failure).")


@pytest.fixture(name="skip_or_fail")
def skip_or_fail_fixture():
    """`skip_or_fail` for tests and fixtures that take it by name."""
    return skip_or_fail

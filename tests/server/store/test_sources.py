"""Static checks of model sources: parsed with `ast`, never executed."""

from __future__ import annotations

import pytest

from server.store.sources import SourceError, check_model_source

GOOD = b"""
import kerascore as keras

def build_model(hparams):
    return keras.Sequential([keras.layers.Dense(hparams.get("units", 4))])
"""


def test_a_good_source_passes_without_running(tmp_path):
    marker = tmp_path / "ran"
    source = GOOD + f"open({str(marker)!r}, 'w').close()\n".encode()
    assert "def build_model" in check_model_source(source)
    assert not marker.exists()


@pytest.mark.parametrize(
    "source, message",
    [
        (b"def build_model(hparams):\n  return (\n", "does not parse: '\\(' was never closed"),
        (b"def make(hparams):\n    pass\n", "does not define `def build_model"),
        (b"class A:\n    def build_model(self, h):\n        pass\n", "at module level"),
        (b"def build_model():\n    pass\n", "takes no parameter"),
        (b"def build_model(h, other):\n    pass\n", "requires more than one argument"),
        (b"async def build_model(h):\n    pass\n", "async def"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_sources_are_rejected_with_a_reason(source, message):
    with pytest.raises(SourceError, match=message):
        check_model_source(source, "m.py")


def test_syntax_errors_name_line_and_column():
    with pytest.raises(SourceError) as info:
        check_model_source(b"x = 1\ndef build_model(h)\n    pass\n", "m.py")
    assert info.value.details["line"] == 2
    assert "line 2" in info.value.message


def test_too_deeply_nested_source_is_rejected_not_crashed():
    # CPython 3.11's parser raises MemoryError here, which used to answer 500.
    source = b"x = " + b"-" * 100_000 + b"1\ndef build_model(h):\n    pass\n"
    with pytest.raises(SourceError, match="too deeply"):
        check_model_source(source, "m.py")

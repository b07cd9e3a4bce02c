"""Tests for keras.utils.Config and the interactive-logging switches, against Keras 3."""

import json
import logging

import keras
import numpy as np
import pytest

import kerascore
from kerascore.utils import Config, Progbar


@pytest.mark.parametrize("config_class", [Config, keras.utils.Config], ids=["kerascore", "keras"])
def test_config_attribute_and_item_access_iterate_and_freeze_as_keras(config_class):
    config = config_class(learning_rate=0.1, momentum=0.9)
    config.use_ema = True
    config["seed"] = 123
    assert config.seed == 123 and config["use_ema"] is True
    assert list(config) == ["learning_rate", "momentum", "seed", "use_ema"]
    assert len(config) == 4 and "momentum" in config and "other" not in config
    assert config.get("missing", 7) == 7
    assert json.loads(config.to_json()) == {
        "learning_rate": 0.1,
        "momentum": 0.9,
        "use_ema": True,
        "seed": 123,
    }
    as_dict = config.as_dict()
    as_dict["seed"] = 0
    assert config.seed == 123
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        _ = config.momentun
    config.freeze()
    assert config.frozen
    for mutate in (
        lambda: setattr(config, "seed", 1),
        lambda: config.__setitem__("seed", 1),
        lambda: config.update(seed=1),
        lambda: config.pop("seed"),
        lambda: config.__delitem__("seed"),
    ):
        with pytest.raises(ValueError, match="frozen"):
            mutate()
    config.unfreeze()
    del config["seed"]
    assert config.pop("use_ema") is True
    assert dict(config.items()) == {"learning_rate": 0.1, "momentum": 0.9}


def test_config_repr_matches_keras():
    assert repr(Config(a=1, b="x")) == repr(keras.utils.Config(a=1, b="x"))


@pytest.fixture
def restore_interactive_logging():
    yield
    kerascore.utils.enable_interactive_logging()


def test_interactive_logging_switches(restore_interactive_logging):
    assert kerascore.utils.is_interactive_logging_enabled() is True
    kerascore.utils.disable_interactive_logging()
    assert kerascore.utils.is_interactive_logging_enabled() is False
    kerascore.utils.enable_interactive_logging()
    assert kerascore.utils.is_interactive_logging_enabled() is True


def test_disabled_interactive_logging_sends_fit_output_to_the_log(
    restore_interactive_logging, capsys, caplog
):
    model = kerascore.Sequential([kerascore.Input((2,)), kerascore.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 2), "float32")
    y = np.zeros((8, 1), "float32")
    callback = kerascore.callbacks.EarlyStopping(monitor="loss", patience=0, verbose=1)

    model.fit(x, y, epochs=2, verbose=2, callbacks=[callback])
    printed = capsys.readouterr().out
    assert "Epoch 1/2" in printed and "loss" in printed

    kerascore.utils.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="absl"):
        model.fit(x, y, epochs=2, verbose=2, callbacks=[callback])
    assert capsys.readouterr().out == ""
    logged = [record.getMessage() for record in caplog.records]
    assert any("loss" in message for message in logged)
    assert any("early stopping" in message for message in logged)
    assert not any("\r" in message for message in logged)


def test_progbar_logs_one_line_per_update_when_interactive_logging_is_off(
    restore_interactive_logging, capsys, caplog
):
    kerascore.utils.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="absl"):
        bar = Progbar(target=2, verbose=1)
        bar.update(1, values=[("loss", 0.5)])
        bar.update(2, values=[("loss", 0.25)], finalize=True)
    assert capsys.readouterr().out == ""
    assert any("2/2" in record.getMessage() for record in caplog.records)

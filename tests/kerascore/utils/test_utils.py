import contextlib
import io
import random

import numpy as np
import pytest
import tensorflow as tf

from kerascore import callbacks as callbacks_module
from kerascore import utils
from kerascore.utils import Progbar


class TerminalStream(io.StringIO):
    """A captured stdout that says it is a terminal, as an interactive shell's is."""

    def isatty(self):
        return True


@contextlib.contextmanager
def terminal_stdout():
    # Used inside test bodies: pytest re-installs its own capture between fixture and test.
    stream = TerminalStream()
    with contextlib.redirect_stdout(stream):
        yield stream


# Progbar


def test_progbar_not_a_terminal_prints_one_line_at_the_end(capsys):
    bar = Progbar(target=20, interval=0)
    for step in range(1, 21):
        bar.update(step, values=[("loss", 1.0 / step)])
        if step < 20:
            assert capsys.readouterr().out == ""
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    assert "\r" not in out and "\x1b" not in out
    assert out.startswith("20/20 - ")
    assert "ms/step" in out or "us/step" in out or "s/step" in out
    expected_mean = np.mean([1.0 / step for step in range(1, 21)])
    assert f"loss: {expected_mean:.4f}" in out


def test_progbar_terminal_redraws_in_place_with_eta():
    with terminal_stdout() as terminal:
        bar = Progbar(target=4, width=8, interval=0)
        for step in range(1, 5):
            bar.update(step, values=[("loss", float(step))])
    out = terminal.getvalue()
    frames = out.split("\r")[1:]
    assert len(frames) == 4
    assert frames[0].startswith("1/4 [==......] ETA: ")
    assert frames[1].startswith("2/4 [====....]")
    assert frames[-1].startswith("4/4 [========]") and "ETA" not in frames[-1]
    assert out.endswith("\n") and out.count("\n") == 1
    # Averaged: (1 + 2 + 3 + 4) / 4.
    assert "loss: 2.5000" in frames[-1]


def test_progbar_terminal_respects_interval():
    with terminal_stdout() as terminal:
        bar = Progbar(target=100, interval=3600)
        for step in range(1, 101):
            bar.update(step)
    frames = terminal.getvalue().split("\r")[1:]
    # The first update draws (nothing drawn yet), then only the final one.
    assert len(frames) == 2


def test_progbar_verbose_2_on_terminal_is_one_line():
    with terminal_stdout() as terminal:
        bar = Progbar(target=3, verbose=2, interval=0)
        for step in range(1, 4):
            bar.update(step, values=[("acc", 0.5)])
    out = terminal.getvalue()
    assert out.count("\n") == 1 and "\r" not in out and out.startswith("3/3 - ")


def test_progbar_stateful_metrics_shown_as_given(capsys):
    bar = Progbar(target=2, stateful_metrics=["acc"])
    bar.update(1, values=[("acc", 0.25), ("loss", 2.0)])
    bar.update(2, values=[("acc", 0.75), ("loss", 4.0)])
    out = capsys.readouterr().out
    assert "acc: 0.7500" in out and "loss: 3.0000" in out


def test_progbar_add_and_prefix(capsys):
    bar = Progbar(target=6, prefix="Epoch 2/3")
    bar.add(2)
    bar.add(4)
    assert capsys.readouterr().out.startswith("Epoch 2/3 - 6/6 - ")


def test_progbar_verbose_0_is_silent(capsys):
    bar = Progbar(target=2, verbose=0)
    bar.update(2, values=[("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_progbar_rejects_both_metric_lists():
    with pytest.raises(ValueError, match="stateful_metrics"):
        Progbar(2, stateful_metrics=["a"], stateless_metrics=["b"])


def _fake_fit(callback_list, epochs, steps):
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        for step in range(steps):
            if callback_list.needs_batch_hooks:
                callback_list.on_train_batch_begin(step)
                callback_list.on_train_batch_end(step, {"loss": 1.0})
        callback_list.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.25})
    callback_list.on_train_end({"loss": 0.5})


def test_progbar_logger_not_a_terminal_prints_one_line_per_epoch(capsys):
    callback_list = callbacks_module.CallbackList(add_progbar=True, verbose=1, epochs=3, steps=4)
    assert not callback_list.needs_batch_hooks
    _fake_fit(callback_list, epochs=3, steps=4)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {epoch}/3 - 4/4 - ")
        assert line.endswith("loss: 0.5000 - val_loss: 0.2500")


def test_progbar_logger_terminal_draws_bars():
    with terminal_stdout() as terminal:
        callback_list = callbacks_module.CallbackList(
            add_progbar=True, verbose=1, epochs=2, steps=3
        )
        assert callback_list.needs_batch_hooks
        _fake_fit(callback_list, epochs=2, steps=3)
    out = terminal.getvalue()
    assert out.startswith("Epoch 1/2\n")
    assert "Epoch 2/2\n" in out
    assert out.count("3/3 [") >= 2 and "\r" in out


def test_progbar_logger_verbose_2_terminal_one_line_per_epoch():
    with terminal_stdout() as terminal:
        callback_list = callbacks_module.CallbackList(
            add_progbar=True, verbose=2, epochs=2, steps=3
        )
        assert not callback_list.needs_batch_hooks
        _fake_fit(callback_list, epochs=2, steps=3)
    lines = terminal.getvalue().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]


# to_categorical / normalize


def test_to_categorical_hand_values():
    result = utils.to_categorical([0, 2, 1, 2])
    np.testing.assert_array_equal(result, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
    assert result.dtype == np.float32


def test_to_categorical_num_classes_and_shapes():
    assert utils.to_categorical(np.array([[1], [3]]), num_classes=5).shape == (2, 5)
    assert utils.to_categorical(np.zeros((2, 3), dtype=int), num_classes=4).shape == (2, 3, 4)
    np.testing.assert_array_equal(utils.to_categorical([[3], [0]], 4), [[0, 0, 0, 1], [1, 0, 0, 0]])


def test_to_categorical_tensor_input():
    result = utils.to_categorical(tf.constant([[2], [0]]), num_classes=3)
    assert tf.is_tensor(result)
    np.testing.assert_array_equal(result.numpy(), [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    "labels, num_classes, message",
    [([0, 3], 3, "Received label 3"), ([-1, 0], None, "Received label -1"), ([0.5], 2, "integer")],
)
def test_to_categorical_rejects_bad_labels(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        utils.to_categorical(labels, num_classes)


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(tf.constant(x)).numpy(), [[0.6, 0.8], [0.0, 0.0]])


# pad_sequences


SEQUENCES = [[1, 2, 3, 4], [5, 6], [7]]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, [[1, 2, 3, 4], [0, 0, 5, 6], [0, 0, 0, 7]]),
        ({"padding": "post"}, [[1, 2, 3, 4], [5, 6, 0, 0], [7, 0, 0, 0]]),
        ({"maxlen": 3}, [[2, 3, 4], [0, 5, 6], [0, 0, 7]]),
        ({"maxlen": 3, "truncating": "post"}, [[1, 2, 3], [0, 5, 6], [0, 0, 7]]),
        ({"maxlen": 2, "padding": "post", "value": -1}, [[3, 4], [5, 6], [7, -1]]),
        ({"maxlen": 0}, np.zeros((3, 0))),
    ],
)
def test_pad_sequences_hand_values(kwargs, expected):
    result = utils.pad_sequences(SEQUENCES, **kwargs)
    assert result.dtype == np.int32
    np.testing.assert_array_equal(result, np.array(expected).reshape(result.shape))
    assert result.shape == np.array(expected).shape


def test_pad_sequences_items_with_features_and_float_dtype():
    sequences = [np.ones((2, 3)), np.full((1, 3), 2.0), []]
    result = utils.pad_sequences(sequences, dtype="float32", padding="post", value=0.5)
    assert result.shape == (3, 2, 3)
    np.testing.assert_array_equal(result[1, 1], [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(result[1, 0], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(result[2], np.full((2, 3), 0.5))


def test_pad_sequences_strings():
    result = utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert result.tolist() == [["a", "b"], ["<pad>", "c"]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "middle"}, "padding='middle'"),
        ({"truncating": "both"}, "truncating='both'"),
        ({"value": "x"}, "string padding value"),
    ],
)
def test_pad_sequences_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        utils.pad_sequences(SEQUENCES, **kwargs)


def test_pad_sequences_rejects_non_sequences():
    with pytest.raises(ValueError, match=r"sequences\[1\]=5"):
        utils.pad_sequences([[1], 5])


# set_random_seed


def test_set_random_seed_repeats_every_generator():
    def draw():
        return random.random(), np.random.rand(), float(tf.random.uniform(()))

    utils.set_random_seed(123)
    first = draw()
    utils.set_random_seed(123)
    assert draw() == first
    assert utils.get_random_seed() == 123


@pytest.mark.parametrize("seed", ["1", 1.5, None, True, -1])
def test_set_random_seed_rejects_non_integers(seed):
    with pytest.raises(ValueError, match="seed"):
        utils.set_random_seed(seed)


def test_set_random_seed_gives_same_initial_weights_and_loss_curve():
    import kerascore as keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")

    def run(seed):
        utils.set_random_seed(seed)
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
        )
        initial = model.get_weights()
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return initial, history.history["loss"]

    first_weights, first_losses = run(7)
    second_weights, second_losses = run(7)
    other_weights, _ = run(8)
    for first, second in zip(first_weights, second_weights, strict=True):
        np.testing.assert_array_equal(first, second)
    assert first_losses == second_losses
    assert not np.array_equal(first_weights[0], other_weights[0])

import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import kerascore as keras
from kerascore import callbacks


def make_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    return model


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = (x @ rng.normal(size=(4, 1))).astype("float32")
    return x, y


def read_scalars(run_dir):
    accumulator = EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    scalars = {}
    for tag in accumulator.Tags()["tensors"]:
        events = accumulator.Tensors(tag)
        if events and events[0].tensor_proto.dtype == tf.float32.as_datatype_enum:
            values = [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in events]
            scalars[tag] = values
    return accumulator, scalars


def test_epoch_scalars_for_train_and_validation_match_history(tmp_path):
    model = make_model()
    x, y = make_data()
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        validation_split=0.25,
        callbacks=[callbacks.TensorBoard(tmp_path)],
        verbose=0,
    )
    accumulator, train = read_scalars(os.path.join(tmp_path, "train"))
    _, validation = read_scalars(os.path.join(tmp_path, "validation"))
    for name in ("loss", "mae"):
        assert [step for step, _ in train[f"epoch_{name}"]] == [0, 1, 2]
        np.testing.assert_allclose(
            [v for _, v in train[f"epoch_{name}"]], history.history[name], rtol=1e-6
        )
        np.testing.assert_allclose(
            [v for _, v in validation[f"epoch_{name}"]], history.history[f"val_{name}"], rtol=1e-6
        )
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.05] * 3)
    assert not any(tag.startswith("batch_") for tag in train)
    # Validation after each epoch: 3 batches per epoch of 36 training rows.
    assert [s for s, _ in validation["evaluation_loss_vs_iterations"]] == [3, 6, 9]
    graph_events = accumulator.Tensors("train_function")
    assert accumulator.summary_metadata["train_function"].plugin_data.plugin_name == (
        "graph_run_metadata_graph"
    )
    assert len(graph_events) == 1


def test_batch_scalars_every_n_batches_and_histograms(tmp_path):
    model = make_model()
    x, y = make_data()
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        callbacks=[
            callbacks.TensorBoard(
                tmp_path,
                update_freq=2,
                histogram_freq=1,
                write_graph=False,
                write_steps_per_second=True,
            )
        ],
        verbose=0,
    )
    accumulator, train = read_scalars(os.path.join(tmp_path, "train"))
    # 6 batches an epoch, 12 in all, written every 2 batches.
    assert [step for step, _ in train["batch_loss"]] == [2, 4, 6, 8, 10, 12]
    assert all(np.isfinite(value) for _, value in train["batch_loss"])
    assert [step for step, _ in train["batch_steps_per_second"]] == [2, 4, 6, 8, 10, 12]
    assert all(value > 0 for _, value in train["batch_steps_per_second"])
    assert [step for step, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert all(value > 0 for _, value in train["epoch_steps_per_second"])
    assert "train_function" not in accumulator.Tags()["tensors"]
    histogram_tags = [t for t in accumulator.Tags()["tensors"] if t.endswith("/histogram")]
    assert len(histogram_tags) == len(model.weights)
    assert not os.path.exists(os.path.join(tmp_path, "validation"))


def test_invalid_update_freq_names_the_value(tmp_path):
    with pytest.raises(ValueError, match="update_freq=0"):
        callbacks.TensorBoard(tmp_path, update_freq=0)
    with pytest.raises(ValueError, match="histogram_freq=-1"):
        callbacks.TensorBoard(tmp_path, histogram_freq=-1)
    with pytest.raises(ValueError, match="profile_batch=5"):
        callbacks.TensorBoard(tmp_path, profile_batch=5)
    with pytest.raises(ValueError, match="write_images=True"):
        callbacks.TensorBoard(tmp_path, write_images=True)

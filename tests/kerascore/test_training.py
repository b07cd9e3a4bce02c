import io
import sys

import numpy as np
import pytest
import tensorflow as tf

import kerascore as keras
from kerascore import layers


def make_model(units=8, inputs=4, outputs=1):
    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [
            keras.Input((inputs,)),
            layers.Dense(units, activation="relu"),
            layers.Dense(outputs),
        ]
    )


def data(rows=96, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1))).astype("float32")
    return x, y


def test_fit_arrays_validation_split_and_history():
    model = make_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = data()
    history = model.fit(x, y, epochs=4, batch_size=16, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_tf_data_dataset_and_generator():
    x, y = data()
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(dataset, epochs=2, validation_data=dataset, verbose=0)
    assert len(history.history["val_loss"]) == 2

    def batches():
        while True:
            for start in range(0, 96, 32):
                yield x[start : start + 32], y[start : start + 32]

    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_validation_split_works_for_datasets_of_known_size():
    x, y = data()
    model = make_model()
    model.compile(optimizer="sgd", loss="mse")
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(dataset, epochs=1, validation_split=0.25, verbose=0)
    assert "val_loss" in history.history


def test_evaluate_return_dict_and_list():
    model = make_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae", "mse"])
    x, y = data()
    as_list = model.evaluate(x, y, verbose=0)
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["loss", "mae", "mse"]
    np.testing.assert_allclose(as_list, list(as_dict.values()), rtol=1e-6)
    expected = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert as_dict["loss"] == pytest.approx(expected, rel=1e-4)


def test_sample_weight_and_class_weight_change_the_loss():
    x = np.random.rand(40, 4).astype("float32")
    y = np.array([0, 1] * 20)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = model.evaluate(x, y, verbose=0)
    zero_weights = model.evaluate(x, y, sample_weight=np.zeros(40), verbose=0)
    assert zero_weights == pytest.approx(0.0)
    assert plain > 0
    before = model.get_weights()
    model.fit(x, y, class_weight={0: 0.0, 1: 0.0}, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_allclose(a, b)


def test_initial_epoch_and_validation_freq():
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    history = model.fit(
        x, y, epochs=5, initial_epoch=2, validation_data=(x, y), validation_freq=2, verbose=0
    )
    assert history.epoch == [2, 3, 4]
    assert len(history.history["val_loss"]) == 1


def test_on_batch_methods():
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = data(rows=8)
    first = model.train_on_batch(x, y)
    for _ in range(20):
        last = model.train_on_batch(x, y)
    assert last < first
    assert model.test_on_batch(x, y) == pytest.approx(
        float(np.mean((model.predict_on_batch(x) - y) ** 2)), rel=1e-4
    )


def test_no_retracing_across_epochs_and_partial_last_batch():
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = data(rows=100)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    functions = list(model._train_functions.values())
    assert len(functions) == 1
    assert functions[0].experimental_get_tracing_count() == 1
    model.fit(x[:70], y[:70], epochs=2, batch_size=32, verbose=0)
    assert functions[0].experimental_get_tracing_count() == 1


def test_small_predict_reuses_one_compiled_function():
    model = make_model()
    x, _ = data(rows=5)
    for rows in (1, 2, 5):
        assert model.predict(x[:rows], verbose=0).shape == (rows, 1)
    assert model._predict_functions["small"].experimental_get_tracing_count() == 1


def test_predict_large_arrays_matches_direct_call():
    model = make_model()
    x, _ = data(rows=300)
    np.testing.assert_allclose(model.predict(x, batch_size=64, verbose=0), model(x), rtol=1e-5)


def test_custom_train_step_is_used():
    class Counting(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)
            self.calls = tf.Variable(0)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            self.calls.assign_add(1)
            return super().train_step(data)

    model = Counting()
    model.compile(optimizer="sgd", loss="mse")
    x, y = data(rows=64)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert int(model.calls.numpy()) == 8


def test_stop_training_from_a_callback():
    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    history = model.fit(x, y, epochs=10, callbacks=[StopAfterTwo()], verbose=0)
    assert history.epoch == [0, 1]


def test_progress_output_is_one_line_per_epoch_when_not_a_terminal(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    model = make_model()
    model.compile(optimizer="adam", loss="mse")
    x, y = data()
    model.fit(x, y, epochs=3, batch_size=8, verbose=1)
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    assert len(lines) <= 6, lines
    assert "loss" in lines[-1]


def test_regularization_is_part_of_the_training_loss():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            layers.Dense(
                1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.L2(1.0)
            ),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 4), "float32")
    assert model.evaluate(x, np.zeros((8, 1)), verbose=0) == pytest.approx(4.0)


def test_steps_per_execution_gives_same_result():
    x, y = data()
    results = []
    for spe in (1, 4):
        model = make_model()
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=spe)
        history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
        results.append(history.history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


def test_run_eagerly_and_jit_compile_match_graph():
    x, y = data()
    losses = []
    for kwargs in ({}, {"run_eagerly": True}, {"jit_compile": True}):
        model = make_model()
        model.compile(optimizer="sgd", loss="mse", **kwargs)
        losses.append(model.fit(x, y, epochs=1, shuffle=False, verbose=0).history["loss"][0])
    np.testing.assert_allclose(losses, [losses[0]] * 3, rtol=1e-4)


def test_results_do_not_depend_on_batch_size_or_call_order():
    model = make_model(outputs=3)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, _ = data(rows=90)
    y = np.random.default_rng(2).normal(size=(90, 3)).astype("float32")
    expected = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    for batch_size in (32, 90, 7, 32):
        assert model.evaluate(x, y, batch_size=batch_size, verbose=0)[0] == pytest.approx(
            expected, rel=1e-5
        )


def test_lambda_losses_and_metrics_compile():
    model = make_model()
    model.compile(optimizer="sgd", loss=lambda t, p: (t - p) ** 2, metrics=[lambda t, p: t - p])
    x, y = data(rows=16)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "<lambda>"}


def test_models_built_in_a_loop_raise_no_retracing_warning(caplog):
    x, y = data(rows=70)
    with caplog.at_level("WARNING", logger="tensorflow"):
        for _ in range(7):
            model = make_model()
            model.compile(optimizer="adam", loss="mse")
            model.fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=0)
            model.predict(x[:3], verbose=0)
            model.evaluate(x, y, verbose=0)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_mixed_float16_trains_with_float32_weights_and_outputs():
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        model = make_model(outputs=3)
        assert model.layers[0].compute_dtype == "float16"
        assert model.layers[0].kernel.dtype == tf.float32
        model.compile(optimizer="adam", loss="mse")
        x, _ = data()
        y = np.random.default_rng(0).normal(size=(96, 3)).astype("float32")
        history = model.fit(x, y, epochs=3, verbose=0)
        assert history.history["loss"][-1] < history.history["loss"][0]
        assert model.predict(x[:2], verbose=0).dtype == np.float32
    finally:
        keras.mixed_precision.set_dtype_policy("float32")


def test_use_ema_ends_fit_with_the_averaged_weights():
    model = make_model()
    model.compile(optimizer=keras.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.9), loss="mse")
    x, y = data()
    model.fit(x, y, epochs=2, verbose=0)
    averaged = [v.numpy() for v in model.optimizer._model_variables_moving_average]
    for weight, average in zip(model.trainable_weights, averaged):
        np.testing.assert_allclose(weight.numpy(), average, rtol=1e-6)

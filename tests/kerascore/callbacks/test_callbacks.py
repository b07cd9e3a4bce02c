import csv
import math
import os

import numpy as np
import pytest

import kerascore as keras
from kerascore import callbacks


def make_data(rows=64, features=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1)) + 0.1).astype("float32")
    return x, y


def make_model(learning_rate=0.01):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return model


def fit(model, epochs=3, batch_size=16, **kwargs):
    x, y = make_data()
    kwargs.setdefault("verbose", 0)
    return model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, **kwargs)


def weights_equal(first, second):
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


class WeightsPerEpoch(callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


# History and CallbackList


def test_history_records_every_epoch():
    model = make_model()
    history = fit(model, epochs=3, validation_split=0.25)
    assert model.history is history
    assert isinstance(history, callbacks.History)
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "val_loss"}
    assert all(len(values) == 3 for values in history.history.values())
    assert all(isinstance(value, float) for value in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.params["epochs"] == 3 and history.params["steps"] == 3


def test_needs_batch_hooks():
    assert not callbacks.CallbackList(
        [callbacks.EarlyStopping(), callbacks.History()]
    ).needs_batch_hooks
    assert not callbacks.CallbackList([callbacks.ModelCheckpoint("m.keras")]).needs_batch_hooks
    assert callbacks.CallbackList(
        [callbacks.ModelCheckpoint("m.keras", save_freq=2)]
    ).needs_batch_hooks
    assert callbacks.CallbackList([callbacks.TerminateOnNaN()]).needs_batch_hooks
    assert callbacks.CallbackList(
        [callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: None)]
    ).needs_batch_hooks
    assert not callbacks.CallbackList(
        [callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: None)]
    ).needs_batch_hooks

    class OnBatch(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    assert callbacks.CallbackList([OnBatch()]).needs_batch_hooks


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match="Callback instances"):
        callbacks.CallbackList([lambda: None])


def test_lambda_callback_hook_order_in_fit_and_evaluate():
    events = []
    hooks = {
        "on_train_begin": lambda logs: events.append("train_begin"),
        "on_epoch_begin": lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        "on_train_batch_begin": lambda batch, logs: events.append(f"batch_begin {batch}"),
        "on_train_batch_end": lambda batch, logs: events.append(f"batch_end {batch}"),
        "on_epoch_end": lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        "on_train_end": lambda logs: events.append("train_end"),
        "on_test_begin": lambda logs: events.append("test_begin"),
        "on_test_end": lambda logs: events.append(f"test_end {sorted(logs)}"),
    }
    model = make_model()
    x, y = make_data()
    model.fit(
        x,
        y,
        batch_size=32,
        epochs=2,
        shuffle=False,
        verbose=0,
        validation_data=(x[:16], y[:16]),
        callbacks=[callbacks.LambdaCallback(**hooks)],
    )
    epoch = [
        "batch_begin 0",
        "batch_end 0",
        "batch_begin 1",
        "batch_end 1",
        "test_begin",
        "test_end ['loss']",
    ]
    assert events == [
        "train_begin",
        "epoch_begin 0",
        *epoch,
        "epoch_end 0 ['loss', 'val_loss']",
        "epoch_begin 1",
        *epoch,
        "epoch_end 1 ['loss', 'val_loss']",
        "train_end",
    ]
    events.clear()
    model.evaluate(x, y, batch_size=32, verbose=0, callbacks=[callbacks.LambdaCallback(**hooks)])
    assert events == ["test_begin", "test_end ['loss']"]


def test_lambda_batch_hooks_see_every_batch_with_a_progress_bar(capsys):
    seen = []
    listener = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    x, y = make_data(rows=640)
    make_model().fit(x, y, batch_size=16, epochs=1, verbose=1, callbacks=[listener])
    assert seen == list(range(40))
    assert capsys.readouterr().out.startswith("40/40 - ")


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="on_epoch_ending"):
        callbacks.LambdaCallback(on_epoch_ending=print)


def test_custom_callback_stops_training_mid_epoch():
    class StopAtSecondBatch(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.last_logs = logs
            if batch == 1:
                self.model.stop_training = True

    stopper = StopAtSecondBatch()
    history = fit(make_model(), epochs=5, callbacks=[stopper])
    assert history.epoch == [0]
    assert isinstance(stopper.last_logs["loss"], float)


def test_progbar_logger_in_fit_without_terminal(capsys):
    fit(make_model(), epochs=3, verbose=1, validation_split=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - 3/3 - ") and "val_loss: " in lines[0]
    fit(make_model(), epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


# EarlyStopping


def test_early_stopping_stops_after_patience():
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=100.0, patience=2)
    history = fit(make_model(), epochs=10, callbacks=[stopper])
    # Epoch 0 sets the best value; epochs 1 and 2 do not improve by 100.
    assert history.epoch == [0, 1, 2]
    assert stopper.stopped_epoch == 2


def test_early_stopping_restores_best_weights():
    recorder = WeightsPerEpoch()
    # The loss falls, so in "max" mode epoch 0 stays the best epoch.
    stopper = callbacks.EarlyStopping(
        monitor="loss", mode="max", patience=2, restore_best_weights=True
    )
    model = make_model()
    history = fit(model, epochs=10, callbacks=[recorder, stopper])
    assert len(history.epoch) == 3
    assert stopper.best_epoch == 0
    assert weights_equal(model.get_weights(), recorder.weights[0])
    assert not weights_equal(model.get_weights(), recorder.weights[-1])


def test_early_stopping_without_restore_keeps_last_weights():
    recorder = WeightsPerEpoch()
    stopper = callbacks.EarlyStopping(monitor="loss", mode="max", patience=1)
    model = make_model()
    fit(model, epochs=10, callbacks=[recorder, stopper])
    assert weights_equal(model.get_weights(), recorder.weights[-1])


def test_early_stopping_baseline_and_start_from_epoch():
    # The loss improves every epoch but never beats an unreachable baseline, so every epoch
    # counts towards patience.
    stopper = callbacks.EarlyStopping(monitor="loss", baseline=-1.0, patience=2)
    assert fit(make_model(), epochs=10, callbacks=[stopper]).epoch == [0, 1]
    reachable = callbacks.EarlyStopping(monitor="loss", baseline=1e6, patience=2)
    assert len(fit(make_model(), epochs=5, callbacks=[reachable]).epoch) == 5
    late = callbacks.EarlyStopping(monitor="loss", baseline=-1.0, patience=2, start_from_epoch=3)
    assert fit(make_model(), epochs=10, callbacks=[late]).epoch == [0, 1, 2, 3, 4]


def test_early_stopping_auto_mode_needs_a_known_direction():
    stopper = callbacks.EarlyStopping(monitor="wobble")
    stopper.set_model(make_model())
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        stopper.on_epoch_end(0, {"wobble": 1.0})
    with pytest.raises(ValueError, match="mode='sideways'"):
        callbacks.EarlyStopping(mode="sideways")


def test_early_stopping_warns_on_missing_monitor():
    with pytest.warns(UserWarning, match="val_loss"):
        history = fit(make_model(), epochs=2, callbacks=[callbacks.EarlyStopping()])
    assert history.epoch == [0, 1]


# ModelCheckpoint


def test_model_checkpoint_filepath_template(tmp_path):
    template = str(tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.keras")
    history = fit(make_model(), epochs=3, callbacks=[callbacks.ModelCheckpoint(template)])
    expected = {
        f"ckpt-{epoch + 1:02d}-{loss:.2f}.keras"
        for epoch, loss in enumerate(history.history["loss"])
    }
    assert set(os.listdir(tmp_path)) == expected
    restored = keras.saving.load_model(tmp_path / sorted(expected)[-1])
    x, _ = make_data()
    np.testing.assert_allclose(restored.predict(x, verbose=0), history.model.predict(x, verbose=0))


def test_model_checkpoint_save_best_only(tmp_path):
    # The loss falls every epoch: "min" saves each epoch, "max" only the first.
    improving = callbacks.ModelCheckpoint(
        str(tmp_path / "min-{epoch}.keras"), monitor="loss", save_best_only=True
    )
    worsening = callbacks.ModelCheckpoint(
        str(tmp_path / "max-{epoch}.keras"), monitor="loss", save_best_only=True, mode="max"
    )
    fit(make_model(), epochs=3, callbacks=[improving, worsening])
    assert sorted(os.listdir(tmp_path)) == [
        "max-1.keras",
        "min-1.keras",
        "min-2.keras",
        "min-3.keras",
    ]


def test_model_checkpoint_best_only_single_file_holds_best_weights(tmp_path):
    recorder = WeightsPerEpoch()
    path = tmp_path / "best.weights.h5"
    checkpoint = callbacks.ModelCheckpoint(
        str(path), monitor="loss", mode="max", save_best_only=True, save_weights_only=True
    )
    model = make_model()
    fit(model, epochs=3, callbacks=[recorder, checkpoint])
    model.load_weights(path)
    assert weights_equal(model.get_weights(), recorder.weights[0])


def test_model_checkpoint_initial_value_threshold(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(
        str(tmp_path / "m.keras"), monitor="loss", save_best_only=True, initial_value_threshold=0.0
    )
    fit(make_model(), epochs=2, callbacks=[checkpoint])
    assert os.listdir(tmp_path) == []


def test_model_checkpoint_save_freq_in_batches(tmp_path):
    template = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    checkpoint = callbacks.ModelCheckpoint(template, save_weights_only=True, save_freq=2)
    fit(make_model(), epochs=2, batch_size=16, callbacks=[checkpoint])
    assert sorted(os.listdir(tmp_path)) == [
        "e1-b2.weights.h5",
        "e1-b4.weights.h5",
        "e2-b2.weights.h5",
        "e2-b4.weights.h5",
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filepath": "model.h5"}, "must end in .keras"),
        ({"filepath": "model.keras", "save_weights_only": True}, "must end in .weights.h5"),
        ({"filepath": "model.keras", "save_freq": "batch"}, "save_freq='batch'"),
    ],
)
def test_model_checkpoint_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        callbacks.ModelCheckpoint(**kwargs)


def test_model_checkpoint_unknown_template_field(tmp_path):
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "m-{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="val_acc"):
        fit(make_model(), epochs=1, callbacks=[checkpoint])


# ReduceLROnPlateau, LearningRateScheduler


def test_reduce_lr_on_plateau_lowers_the_learning_rate():
    model = make_model(learning_rate=0.1)
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1)
    history = fit(model, epochs=4, callbacks=[reducer])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.1, 0.05, 0.025])
    assert math.isclose(float(model.optimizer.learning_rate), 0.0125, rel_tol=1e-6)


def test_reduce_lr_on_plateau_min_lr_cooldown_and_improvement():
    model = make_model(learning_rate=0.1)
    reducer = callbacks.ReduceLROnPlateau(
        monitor="loss", mode="max", factor=0.5, patience=1, cooldown=1, min_lr=0.04
    )
    fit(model, epochs=5, callbacks=[reducer])
    # Reductions at epochs 1 and 3 (epoch 2 is cooldown), floored at min_lr.
    assert math.isclose(float(model.optimizer.learning_rate), 0.04, rel_tol=1e-6)
    steady = make_model(learning_rate=0.1)
    fit(steady, epochs=4, callbacks=[callbacks.ReduceLROnPlateau(monitor="loss", patience=1)])
    assert math.isclose(float(steady.optimizer.learning_rate), 0.1, rel_tol=1e-6)
    with pytest.raises(ValueError, match="factor=1.5"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_sets_rate_each_epoch():
    seen = []

    def schedule(epoch, learning_rate):
        seen.append(learning_rate)
        return 0.1 / (epoch + 1)

    model = make_model(learning_rate=0.5)
    history = fit(model, epochs=3, callbacks=[callbacks.LearningRateScheduler(schedule)])
    np.testing.assert_allclose(seen, [0.5, 0.1, 0.05], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.1 / 3], rtol=1e-6)
    assert math.isclose(float(model.optimizer.learning_rate), 0.1 / 3, rel_tol=1e-6)


def test_learning_rate_scheduler_changes_training():
    frozen = make_model()
    before = frozen.get_weights()
    fit(frozen, epochs=2, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.0)])
    assert weights_equal(frozen.get_weights(), before)


def test_learning_rate_scheduler_rejects_non_float():
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: "fast")
    with pytest.raises(ValueError, match="must return a float.*'fast'"):
        fit(make_model(), epochs=1, callbacks=[scheduler])


# TerminateOnNaN


def test_terminate_on_nan_stops_training(capsys):
    x, y = make_data()
    y[20] = np.nan
    model = make_model()
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=5,
        shuffle=False,
        verbose=0,
        callbacks=[callbacks.TerminateOnNaN()],
    )
    assert len(history.epoch) <= 1
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_can_raise():
    x, y = make_data()
    y[:] = np.nan
    with pytest.raises(RuntimeError, match="NaN or Inf loss at batch 0"):
        make_model().fit(
            x, y, epochs=2, verbose=0, callbacks=[callbacks.TerminateOnNaN(raise_error=True)]
        )


# CSVLogger


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = fit(make_model(), epochs=3, callbacks=[callbacks.CSVLogger(path)])
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    np.testing.assert_allclose([float(row[1]) for row in rows[1:]], history.history["loss"])
    assert [row[2] for row in rows[1:]] == ["NA", "NA", "NA"]


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / "log.csv"
    model = make_model()
    fit(
        model, epochs=2, validation_split=0.25, callbacks=[callbacks.CSVLogger(path, separator=";")]
    )
    fit(
        model,
        epochs=1,
        validation_split=0.25,
        callbacks=[callbacks.CSVLogger(path, separator=";", append=True)],
    )
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch;loss;val_loss"
    assert len(lines) == 4 and lines[3].startswith("0;")


def test_backup_and_restore_resumes_as_if_never_interrupted(tmp_path):
    import numpy as np

    import kerascore as keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")

    def build():
        keras.utils.set_random_seed(3)
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
        )
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        return model

    uninterrupted = build().fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)

    class Crash(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("simulated crash")

    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    first = build()
    with pytest.raises(RuntimeError, match="simulated crash"):
        first.fit(
            x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[backup, Crash()]
        )
    resumed = build().fit(
        x,
        y,
        epochs=4,
        batch_size=16,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(tmp_path / "backup")],
    )
    assert resumed.epoch == [2, 3]
    np.testing.assert_allclose(
        resumed.history["loss"], uninterrupted.history["loss"][2:], rtol=1e-5
    )
    assert not (tmp_path / "backup" / "latest.weights.h5").exists()


# SwapEMAWeights


def make_ema_model(learning_rate=0.05):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)]
    )
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, use_ema=True, ema_momentum=0.5)
    model.compile(optimizer=optimizer, loss="mse")
    return model


def ema_weights(model):
    averages = model.optimizer._model_variables_moving_average
    return [average.numpy() for average in averages]


def test_swap_ema_weights_validates_and_predicts_with_averages():
    model = make_ema_model()
    x, y = make_data()
    x_val, y_val = make_data(rows=16, seed=1)
    raw = {}
    keep_raw_weights = callbacks.LambdaCallback(
        on_train_end=lambda logs: raw.setdefault("weights", model.get_weights())
    )
    history = fit(
        model,
        epochs=2,
        validation_data=(x_val, y_val),
        callbacks=[callbacks.SwapEMAWeights(), keep_raw_weights],
    )
    averages = ema_weights(model)
    # As in Keras, fit ends with the averaged weights in the model.
    assert weights_equal(model.get_weights(), averages)
    trained = raw["weights"]
    assert not weights_equal(trained, averages)
    model.set_weights(trained)
    swapped_predictions = model.predict(x_val, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    swapped_loss = model.evaluate(x_val, y_val, verbose=0, callbacks=[callbacks.SwapEMAWeights()])
    # The training weights are back after each swap.
    assert weights_equal(model.get_weights(), trained)
    assert weights_equal(ema_weights(model), averages)
    model.set_weights(averages)
    np.testing.assert_allclose(swapped_predictions, model.predict(x_val, verbose=0), rtol=1e-6)
    expected_loss = model.evaluate(x_val, y_val, verbose=0)
    np.testing.assert_allclose(swapped_loss, expected_loss, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_loss"][-1], expected_loss, rtol=1e-6)
    model.set_weights(trained)
    assert not np.isclose(model.evaluate(x_val, y_val, verbose=0), expected_loss, rtol=1e-4)


def test_swap_ema_weights_on_epoch_end_exposes_averages_to_later_callbacks():
    model = make_ema_model()
    recorder = WeightsPerEpoch()
    fit(model, epochs=2, callbacks=[callbacks.SwapEMAWeights(swap_on_epoch=True), recorder])
    # At each epoch end the model holds the EMA weights; training ends with them in place.
    assert weights_equal(recorder.weights[-1], model.get_weights())
    assert weights_equal(model.get_weights(), ema_weights(model))
    assert not weights_equal(recorder.weights[0], recorder.weights[1])


def test_swap_ema_weights_requires_use_ema():
    model = make_model()
    x, y = make_data()
    with pytest.raises(ValueError, match="use_ema=False"):
        model.fit(
            x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[callbacks.SwapEMAWeights()]
        )

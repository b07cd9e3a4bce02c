"""Tests for keras.utils.PyDataset / Sequence: fit, evaluate and predict read them as Keras 3."""

import math
import warnings

import keras
import numpy as np
import pytest

import kerascore


def make_dataset_class(library):
    class Batches(library.utils.PyDataset):
        def __init__(self, x, y=None, batch_size=16, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size
            self.epochs_begun = 0
            self.epochs_ended = 0

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index):
            rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
            if self.y is None:
                return self.x[rows]
            return self.x[rows], self.y[rows]

        def on_epoch_begin(self):
            self.epochs_begun += 1

        def on_epoch_end(self):
            self.epochs_ended += 1

    return Batches


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    return x, y


def test_sequence_is_pydataset():
    assert kerascore.utils.Sequence is kerascore.utils.PyDataset


@pytest.mark.parametrize("library", [kerascore, keras], ids=["kerascore", "keras"])
def test_fit_evaluate_predict_read_a_pydataset(library):
    library.utils.set_random_seed(0)
    x, y = regression_data()
    Batches = make_dataset_class(library)
    train = Batches(x, y, batch_size=16, workers=1)
    model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
    model.compile(optimizer=library.optimizers.SGD(0.1), loss="mse")
    history = model.fit(train, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    loss = model.evaluate(Batches(x, y), verbose=0)
    assert loss < 0.05
    predictions = model.predict(Batches(x, batch_size=32), verbose=0)
    assert predictions.shape == (100, 1)
    np.testing.assert_allclose(predictions, model.predict(x, verbose=0), atol=1e-6)


def make_recording_dataset_class(library, base="PyDataset"):
    """A dataset of 4 batches (or endless ones) that records its epoch hooks as "B" and "E"."""

    class Recording(getattr(library.utils, base)):
        def __init__(self, infinite=False):
            super().__init__()
            self.infinite = infinite
            self.hooks = []
            self.batches_read = []

        @property
        def num_batches(self):
            return None if self.infinite else 4

        def __getitem__(self, index):
            self.batches_read.append(index)
            x = np.full((2, 3), index, "float32")
            return x, x[:, :1]

        def on_epoch_begin(self):
            self.hooks.append("B")

        def on_epoch_end(self):
            self.hooks.append("E")

    return Recording


def record_hooks(library, base="PyDataset"):
    """The epoch hooks each of fit, fit's validation, evaluate and predict calls."""
    Recording = make_recording_dataset_class(library, base)
    model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    train, validation = Recording(), Recording()
    model.fit(train, epochs=3, validation_data=validation, verbose=0)
    evaluated, predicted = Recording(), Recording()
    model.evaluate(evaluated, verbose=0)
    model.predict(predicted, verbose=0)
    endless = Recording(infinite=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(endless, epochs=2, steps_per_epoch=3, verbose=0)
    return {
        "fit": train.hooks,
        "validation": validation.hooks,
        "evaluate": evaluated.hooks,
        "predict": predicted.hooks,
        "endless": endless.hooks,
    }


@pytest.mark.parametrize("base", ["PyDataset", "Sequence"])
def test_fit_evaluate_and_predict_call_the_epoch_hooks_as_keras(base):
    ours = record_hooks(kerascore, base)
    assert ours == record_hooks(keras, base)
    # Keras 3 ends an epoch once before the first one begins (resetting its iterator).
    assert ours["fit"] == ["E"] + ["B", "E"] * 3
    assert ours["validation"] == ["E", "B", "E"] * 3
    assert ours["predict"] == ["B", "E"]


def test_shuffle_visits_the_batches_in_keras_order_for_the_same_seed():
    orders = []
    for library in (kerascore, keras):
        Recording = make_recording_dataset_class(library)
        model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        library.utils.set_random_seed(3)
        shuffled = Recording()
        model.fit(shuffled, epochs=4, verbose=0)
        in_order = Recording()
        model.fit(in_order, epochs=2, shuffle=False, verbose=0)
        # Before training, both read a first batch or two to learn the batch structure.
        assert in_order.batches_read[-8:] == [0, 1, 2, 3] * 2
        orders.append(shuffled.batches_read[-16:])
    assert orders[0] == orders[1]
    epochs = [orders[0][begin : begin + 4] for begin in range(0, 16, 4)]
    assert all(sorted(epoch) == [0, 1, 2, 3] for epoch in epochs)
    assert any(epoch != [0, 1, 2, 3] for epoch in epochs)


def test_an_endless_pydataset_trains_steps_per_epoch_batches_each_epoch():
    Recording = make_recording_dataset_class(kerascore)
    endless = Recording(infinite=True)
    assert endless.num_batches is None
    with pytest.raises(TypeError, match="infinite"):
        len(endless)
    model = kerascore.Sequential([kerascore.Input((3,)), kerascore.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(endless, epochs=3, steps_per_epoch=5, verbose=0)
    assert len(history.history["loss"]) == 3
    # Reading goes on where the last epoch stopped (prefetching may read a few ahead).
    assert endless.batches_read[1:16] == list(range(15))
    assert model.predict(Recording(infinite=True), steps=2, verbose=0).shape == (4, 1)


def test_kerascore_and_keras_fit_the_same_pydataset_to_the_same_weights():
    x, y = regression_data()
    initial = [np.full((3, 1), 0.1, "float32"), np.zeros((1,), "float32")]
    results = []
    for library in (kerascore, keras):
        model = library.Sequential([library.Input((3,)), library.layers.Dense(1)])
        model.set_weights(initial)
        model.compile(optimizer=library.optimizers.SGD(0.05), loss="mse")
        batches = make_dataset_class(library)(x, y, batch_size=20)
        model.fit(batches, epochs=3, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_validation_split_is_refused_and_validation_data_is_read_as_keras():
    Recording = make_recording_dataset_class(kerascore)
    model = kerascore.Sequential([kerascore.Input((3,)), kerascore.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="validation_split=0.25"):
        model.fit(Recording(), validation_split=0.25, verbose=0)
    history = model.fit(Recording(), validation_data=Recording(), epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_num_batches_length_and_iteration():
    Batches = make_dataset_class(kerascore)
    x, y = regression_data()
    dataset = Batches(x, y, batch_size=30)
    assert dataset.num_batches == len(dataset) == 4
    batches = list(dataset)
    assert len(batches) == 4 and batches[-1][0].shape == (10, 3)

    class CountedByProperty(kerascore.utils.PyDataset):
        @property
        def num_batches(self):
            return 3

        def __getitem__(self, index):
            return np.full((2, 1), index, "float32")

    assert len(CountedByProperty()) == 3
    assert [int(batch[0, 0]) for batch in CountedByProperty()] == [0, 1, 2]


def test_a_pydataset_without_a_length_says_what_to_implement():
    class NoLength(kerascore.utils.PyDataset):
        def __getitem__(self, index):
            return np.zeros((1, 1))

    with pytest.raises(NotImplementedError, match="num_batches"):
        _ = NoLength().num_batches
    with pytest.raises(NotImplementedError, match="__getitem__"):
        kerascore.utils.PyDataset()[0]


def test_worker_settings_and_the_warning_without_super_init():
    dataset = make_dataset_class(kerascore)(np.zeros((4, 1)), workers=2, max_queue_size=3)
    assert (dataset.workers, dataset.use_multiprocessing, dataset.max_queue_size) == (2, False, 3)

    class NoSuper(kerascore.utils.PyDataset):
        def __init__(self):
            pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert NoSuper().workers == 1
    assert any("super().__init__" in str(warning.message) for warning in caught)

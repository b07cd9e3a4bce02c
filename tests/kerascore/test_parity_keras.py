"""Parity with Keras 3 (imported here only, as the reference): same weights in, same outputs,
and the same weights after five optimizer steps."""

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
reference = pytest.importorskip("keras")

import kerascore  # noqa: E402


def build_mlp(lib):
    return lib.Sequential(
        [
            lib.Input((12,)),
            lib.layers.Dense(16, activation="relu"),
            lib.layers.Dense(8, activation="tanh"),
            lib.layers.Dense(3, activation="softmax"),
        ]
    )


def build_two_input(lib):
    a = lib.Input((5,), name="a")
    b = lib.Input((7,), name="b")
    left = lib.layers.Dense(6, activation="relu")(a)
    right = lib.layers.Dense(6, activation="sigmoid")(b)
    merged = lib.layers.Dense(4, activation="gelu")(left)
    other = lib.layers.Dense(4)(right)
    return lib.Model([a, b], [lib.layers.Dense(1)(merged), lib.layers.Dense(1)(other)])


def copy_weights(source, target):
    target.set_weights(source.get_weights())


OPTIMIZERS = {
    "sgd_momentum": lambda lib: lib.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    "adam": lambda lib: lib.optimizers.Adam(learning_rate=0.01),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_mlp_outputs_and_training_match_keras(optimizer):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 12)).astype("float32")
    y = rng.integers(0, 3, size=40)
    ours, theirs = build_mlp(kerascore), build_mlp(reference)
    copy_weights(theirs, ours)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
    for model, lib in ((ours, kerascore), (theirs, reference)):
        model.compile(optimizer=OPTIMIZERS[optimizer](lib), loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)  # 5 steps
    for mine, reference_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference_weight, atol=1e-4)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_functional_two_input_model_matches_keras(optimizer):
    rng = np.random.default_rng(1)
    xa = rng.normal(size=(20, 5)).astype("float32")
    xb = rng.normal(size=(20, 7)).astype("float32")
    y1 = rng.normal(size=(20, 1)).astype("float32")
    y2 = rng.normal(size=(20, 1)).astype("float32")
    ours, theirs = build_two_input(kerascore), build_two_input(reference)
    copy_weights(theirs, ours)
    for mine, reference_out in zip(
        ours.predict([xa, xb], verbose=0), theirs.predict([xa, xb], verbose=0)
    ):
        np.testing.assert_allclose(mine, reference_out, atol=1e-5)
    for model, lib in ((ours, kerascore), (theirs, reference)):
        model.compile(optimizer=OPTIMIZERS[optimizer](lib), loss=["mse", "mae"])
        model.fit([xa, xb], [y1, y2], batch_size=4, epochs=1, shuffle=False, verbose=0)
    for mine, reference_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference_weight, atol=1e-4)

"""Masking: the generic layer test, the mask it creates, and Keras 3 parity of a model that
masks padded timesteps before an LSTM."""

import os

import numpy as np
import pytest

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402


def _padded(seed=0):
    x = np.random.default_rng(seed).normal(size=(3, 5, 4)).astype("float32")
    x[0, 3:] = -1.0
    x[2, 1:] = -1.0
    x[1, 2, 0] = -1.0  # one feature equal to the mask value does not mask the step
    return x


def test_masking_contract():
    run_layer_test(
        layers.Masking,
        {"mask_value": 0.5},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
    )


def test_masking_creates_mask_and_zeroes_masked_steps():
    x = _padded()
    outputs = layers.Masking(mask_value=-1.0)(x)
    expected_mask = np.ones((3, 5), bool)
    expected_mask[0, 3:] = False
    expected_mask[2, 1:] = False
    np.testing.assert_array_equal(np.asarray(outputs._keras_mask), expected_mask)
    np.testing.assert_array_equal(np.asarray(outputs)[~expected_mask], 0.0)
    np.testing.assert_array_equal(np.asarray(outputs)[expected_mask], x[expected_mask])
    reference = keras.layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(np.asarray(outputs), np.asarray(reference))


@pytest.mark.parametrize("recurrent", ["LSTM", "GRU"])
def test_masking_before_recurrent_layer_matches_keras(recurrent):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((5, 4)),
                lib.layers.Masking(mask_value=-1.0),
                getattr(lib.layers, recurrent)(3, return_sequences=True),
                getattr(lib.layers, recurrent)(2),
            ]
        )

    ours, theirs = build(kerascore), build(keras)
    ours.set_weights(theirs.get_weights())
    x = _padded()
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
    # Sample 2 has one real step: what follows is padding and must not change the result.
    changed = x.copy()
    changed[2, 1:] = -1.0
    np.testing.assert_allclose(ours(changed)[2], ours(x)[2], atol=1e-6)


def test_masking_rejects_a_non_numeric_value():
    with pytest.raises(ValueError, match="mask_value='pad'"):
        layers.Masking(mask_value="pad")

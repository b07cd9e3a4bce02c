"""Bad input gets a clear error that names the problem, and changes nothing."""

import numpy as np
import pytest

import kerascore as keras


def model():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return m


def test_wrong_input_shape_in_fit_names_expected_and_received():
    m = model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"expects shape \(None, 4\).*\(None, 6\)"):
        m.fit(np.zeros((8, 6)), np.zeros(8), verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unknown_identifier_lists_valid_names():
    with pytest.raises(ValueError, match="relu2") as info:
        keras.layers.Dense(3, activation="relu2")
    assert "relu" in str(info.value) and "sigmoid" in str(info.value)
    with pytest.raises(ValueError, match="adamm"):
        model().compile(optimizer="adamm", loss="mse")


def test_labels_that_do_not_match_the_loss():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        m.fit(np.zeros((8, 4)), np.zeros((8, 1)), verbose=0)


def test_mismatched_row_counts():
    with pytest.raises(ValueError, match=r"x sizes: \[8\].*y sizes: \[7\]"):
        model().fit(np.zeros((8, 4)), np.zeros(7), verbose=0)


def test_fit_before_compile():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compile"):
        m.fit(np.zeros((2, 4)), np.zeros((2, 1)), verbose=0)


def test_object_arrays_are_refused():
    ragged = np.array([[1, 2], [3]], dtype=object)
    with pytest.raises(ValueError, match="dtype=object"):
        model().fit(ragged, np.zeros(2), verbose=0)

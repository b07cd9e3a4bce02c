import numpy as np
import pytest

import kerascore as keras
from kerascore import layers
from kerascore.testing import run_layer_test


def test_dense():
    run_layer_test(
        layers.Dense,
        {"units": 4, "activation": "relu"},
        input_shape=(3, 5),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=2,
    )


def test_dense_on_3d_inputs():
    run_layer_test(
        layers.Dense,
        {"units": 2},
        input_shape=(3, 4, 5),
        expected_output_shape=(3, 4, 2),
        expected_num_trainable_weights=2,
    )


def test_activation():
    run_layer_test(
        layers.Activation, {"activation": "tanh"}, input_shape=(3, 4), expected_output_shape=(3, 4)
    )


def test_dropout():
    run_layer_test(
        layers.Dropout, {"rate": 0.5, "seed": 1}, input_shape=(8, 4), expected_output_shape=(8, 4)
    )
    layer = layers.Dropout(0.5, seed=3)
    x = np.ones((200, 50), "float32")
    np.testing.assert_array_equal(layer(x, training=False), x)
    dropped = np.asarray(layer(x, training=True))
    assert 0.4 < (dropped == 0).mean() < 0.6
    assert set(np.unique(dropped)) <= {0.0, 2.0}


def test_flatten():
    run_layer_test(layers.Flatten, {}, input_shape=(2, 3, 4), expected_output_shape=(2, 12))


def test_reshape():
    run_layer_test(
        layers.Reshape,
        {"target_shape": (2, -1)},
        input_shape=(3, 8),
        expected_output_shape=(3, 2, 4),
    )
    with pytest.raises(ValueError, match="cannot reshape"):
        keras.Sequential([keras.Input((7,)), layers.Reshape((2, 4))])


def test_embedding():
    run_layer_test(
        layers.Embedding,
        {"input_dim": 5, "output_dim": 3},
        input_shape=(4, 6),
        expected_output_shape=(4, 6, 3),
        expected_num_trainable_weights=1,
        input_dtype="int32",
    )


def test_lambda_runs_but_refuses_to_save(tmp_path):
    inputs = keras.Input((3,))
    outputs = layers.Lambda(lambda t: t * 2, name="doubler")(inputs)
    model = keras.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(np.ones((2, 3)), verbose=0), 2 * np.ones((2, 3)))
    with pytest.raises(ValueError, match="'doubler'.*Lambda.*register"):
        model.save(str(tmp_path / "m.keras"))
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize(
    "make", [lambda: layers.Dense(3, lora_rank=4), lambda: layers.Embedding(5, 3, lora_rank=4)]
)
def test_lora_rank_is_refused_with_the_value(make):
    with pytest.raises(ValueError, match="lora_rank=4"):
        make()

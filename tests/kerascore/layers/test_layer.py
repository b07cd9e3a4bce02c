import json

import numpy as np
import pytest
import tensorflow as tf

import kerascore as keras
from kerascore import layers


class Block(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stack = [layers.Dense(4), layers.Dense(3)]
        self.by_name = {"head": layers.Dense(2)}
        self.scale = None

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones")

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.stack:
            x = layer(x)
        return self.by_name["head"](x) * self.scale


class RecordsTraining(layers.Layer):
    def call(self, inputs, training=None):
        self.seen = training
        return inputs


class Outer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = RecordsTraining()

    def call(self, inputs):
        return self.inner(inputs)


def test_sublayers_in_lists_and_dicts_are_tracked_and_built_lazily():
    block = Block()
    assert not block.built and block.weights == []
    out = block(np.ones((2, 5), "float32"))
    assert out.shape == (2, 2)
    assert block.built
    # scale, then 3 Dense layers with kernel and bias each.
    assert len(block.weights) == 7
    assert block.count_params() == 1 + (5 * 4 + 4) + (4 * 3 + 3) + (3 * 2 + 2)


def test_freezing_moves_weights_to_non_trainable():
    dense = layers.Dense(3)
    dense.build((None, 2))
    assert len(dense.trainable_weights) == 2
    dense.trainable = False
    assert dense.trainable_weights == []
    assert len(dense.non_trainable_weights) == 2


def test_frozen_layer_gets_no_updates_in_fit():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.Dense(1)])
    model.layers[0].trainable = False
    frozen_before = model.layers[0].get_weights()
    trainable_before = model.layers[1].get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.random.rand(32, 4), np.random.rand(32, 1), epochs=2, verbose=0)
    for before, after in zip(frozen_before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(trainable_before[0], model.layers[1].get_weights()[0])


def test_get_set_weights_round_trip_and_shape_errors():
    dense = layers.Dense(3)
    dense.build((None, 2))
    values = [np.full((2, 3), 0.5, "float32"), np.arange(3, dtype="float32")]
    dense.set_weights(values)
    np.testing.assert_array_equal(dense.get_weights()[1], values[1])
    with pytest.raises(ValueError, match=r"has shape \(2, 3\).*\(3, 3\)"):
        dense.set_weights([np.zeros((3, 3)), np.zeros(3)])
    with pytest.raises(ValueError, match="expected 2 weights"):
        dense.set_weights([np.zeros((2, 3))])


def test_unique_auto_names():
    first, second = layers.Dense(1), layers.Dense(1)
    assert first.name != second.name
    assert second.name.startswith("dense_")


def test_regularizer_losses_and_add_loss_feed_the_training_loss():
    dense = layers.Dense(
        2, kernel_regularizer=keras.regularizers.L2(0.5), kernel_initializer="ones"
    )
    dense.build((None, 3))
    assert len(dense.losses) == 1
    np.testing.assert_allclose(float(dense.losses[0]), 0.5 * 6.0, rtol=1e-6)

    class Penalized(layers.Layer):
        def call(self, inputs):
            self.add_loss(tf.reduce_sum(inputs) * 0.0 + 7.0)
            return inputs

    model = keras.Sequential(
        [keras.Input((3,)), Penalized(), layers.Dense(1, kernel_initializer="zeros")]
    )
    model.compile(optimizer="sgd", loss="mse")
    loss = model.evaluate(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)
    assert loss == pytest.approx(7.0)


def test_training_argument_reaches_sublayers():
    outer = Outer()
    outer(np.ones((1, 2)), training=True)
    assert outer.inner.seen is True
    outer(np.ones((1, 2)), training=False)
    assert outer.inner.seen is False


def test_config_round_trips_through_json():
    dense = layers.Dense(7, activation="relu", use_bias=False, name="my_dense")
    config = json.loads(json.dumps(dense.get_config()))
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == dense.get_config()
    assert clone.units == 7 and clone.name == "my_dense"


def test_invalid_constructor_arguments_name_the_value():
    with pytest.raises(ValueError, match="units=-1"):
        layers.Dense(-1)
    with pytest.raises(ValueError, match="rate=1.5"):
        layers.Dropout(1.5)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        layers.Dense(3, unitz=4)


def test_freezing_a_model_freezes_its_sublayers():
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    outer = keras.Sequential([keras.Input((3,)), inner, layers.Dense(1)])
    inner.trainable = False
    assert inner.layers[0].trainable is False
    assert len(outer.trainable_weights) == 2
    inner.trainable = True
    assert inner.layers[0].trainable is True and len(outer.trainable_weights) == 4


def test_model_from_config_routes_functional_configs():
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    clone = keras.Model.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["InputLayer", "Dense"]


def test_dense_activity_regularizer_is_averaged_over_the_batch():
    dense = layers.Dense(1, kernel_initializer="ones", activity_regularizer="l2")
    dense(np.ones((4, 3), "float32"))
    np.testing.assert_allclose(float(dense.losses[0]), 0.01 * 9.0 * 4 / 4, rtol=1e-6)

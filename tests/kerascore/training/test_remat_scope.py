"""keras.RematScope: layers created inside it run rematerialized (tf.recompute_grad) as Keras 3
decides per mode, with the same outputs and gradients as without it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascore

ROWS = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
TARGETS = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")


def make_model(library, scope=None):
    """Three Dense layers, created inside `RematScope(**scope)` when given (the model
    itself outside it: Keras 3 cannot measure a functional model for `"larger_than"`)."""
    with library.RematScope(**(scope or {"mode": None})):
        wide = library.layers.Dense(32, activation="tanh", name="wide")
        narrow = library.layers.Dense(4, activation="relu", name="narrow")
        head = library.layers.Dense(2, name="head")
    inputs = library.Input((6,))
    return library.Model(inputs, head(narrow(wide(inputs))))


def initial_weights():
    rng = np.random.default_rng(2)
    shapes = [(6, 32), (32,), (32, 4), (4,), (4, 2), (2,)]
    return [rng.normal(scale=0.3, size=shape).astype("float32") for shape in shapes]


def loss_and_gradients(model):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(tf.convert_to_tensor(model(ROWS)) - TARGETS))
    return float(loss), [np.asarray(g) for g in tape.gradient(loss, model.trainable_weights)]


SCOPES = [
    {"mode": "full"},
    {"mode": "activations"},
    {"mode": "larger_than", "output_size_threshold": 100},
    {"mode": "list_of_layers", "layer_names": ["wide", "head"]},
    {"mode": None},
]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda scope: str(scope["mode"]))
def test_gradients_equal_those_without_remat_and_keras(scope):
    results = []
    for library in (kerascore, keras):
        rematerialized = make_model(library, scope)
        rematerialized.set_weights(initial_weights())
        results.append(loss_and_gradients(rematerialized))
    plain = make_model(kerascore)
    plain.set_weights(initial_weights())
    expected_loss, expected_gradients = loss_and_gradients(plain)
    for loss, gradients in results:
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-6)
        for gradient, expected in zip(gradients, expected_gradients):
            np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


class CountedDense(kerascore.layers.Dense):
    """A Dense layer that counts how often its `call` runs eagerly (twice when
    rematerialized: forward, then again for the backward pass; `"larger_than"` also traces
    it once in a graph to measure its outputs, which is not counted)."""

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.calls = 0

    def call(self, inputs):
        if tf.executing_eagerly():
            self.calls += 1
        return super().call(inputs)


def calls_for_one_gradient(scope, layer_names=("small", "large")):
    with kerascore.RematScope(**scope):
        small = CountedDense(2, name=layer_names[0])
        large = CountedDense(300, name=layer_names[1])
    x = tf.constant(ROWS)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(small(x)) + tf.reduce_sum(large(x))
    tape.gradient(loss, small.trainable_weights + large.trainable_weights)
    return small.calls, large.calls


@pytest.mark.parametrize(
    "scope, expected",
    [
        ({"mode": "full"}, (2, 2)),
        ({"mode": "larger_than", "output_size_threshold": 1024}, (1, 2)),
        ({"mode": "list_of_layers", "layer_names": ["small"]}, (2, 1)),
        ({"mode": "activations"}, (1, 1)),
        ({"mode": None}, (1, 1)),
    ],
    ids=["full", "larger_than", "list_of_layers", "activations", "none"],
)
def test_each_mode_rematerializes_the_layers_keras_does(scope, expected):
    assert calls_for_one_gradient(scope) == expected


def test_activations_mode_recomputes_only_the_activation():
    activation_calls = []

    def counted_relu(x):
        activation_calls.append(1)
        return tf.nn.relu(x)

    with kerascore.RematScope(mode="activations"):
        layer = CountedDense(3, activation=counted_relu)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(ROWS)))
    tape.gradient(loss, layer.trainable_weights)
    assert (layer.calls, len(activation_calls)) == (1, 2)
    assert layer.activation is counted_relu


def test_the_scope_at_creation_decides_and_inner_scopes_win():
    with kerascore.RematScope(mode="full"):
        with kerascore.RematScope(mode=None):
            inner = CountedDense(2)
        outer = CountedDense(2)
    outside = CountedDense(2)
    x = tf.constant(ROWS)
    with kerascore.RematScope(mode="full"):
        with tf.GradientTape() as tape:
            loss = sum(tf.reduce_sum(layer(x)) for layer in (inner, outer, outside))
        tape.gradient(loss, [w for layer in (inner, outer, outside) for w in layer.weights])
    assert (inner.calls, outer.calls, outside.calls) == (1, 2, 1)


def test_fit_with_a_rematerialized_model_trains_as_without():
    class ScaledWhenTraining(kerascore.layers.Layer):
        def call(self, inputs, training=None):
            return inputs * 2.0 if training else inputs

    weights = []
    for scope in ({"mode": "full"}, {"mode": None}):
        with kerascore.RematScope(**scope):
            inputs = kerascore.Input((6,))
            x = kerascore.layers.Dense(32, activation="tanh", name="wide")(inputs)
            x = ScaledWhenTraining()(x)
            x = kerascore.layers.Dense(4, activation="relu", name="narrow")(x)
            model = kerascore.Model(inputs, kerascore.layers.Dense(2, name="head")(x))
        model.set_weights(initial_weights())
        model.compile(optimizer=kerascore.optimizers.SGD(0.1), loss="mse")
        model.fit(ROWS, TARGETS, batch_size=4, epochs=3, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for rematerialized, plain in zip(*weights):
        np.testing.assert_allclose(rematerialized, plain, rtol=1e-5, atol=1e-6)


def test_an_unknown_mode_is_refused_as_keras_does():
    with pytest.raises(ValueError, match="Invalid mode 'some'"):
        kerascore.RematScope(mode="some")
    with pytest.raises(ValueError, match="Invalid mode 'some'"):
        keras.RematScope(mode="some")

import json

import keras as keras3
import numpy as np
import pytest
import tensorflow as tf

import kerascore as keras
from kerascore import layers


def test_sequential_add_pop_and_build_at_first_call():
    model = keras.Sequential()
    model.add(layers.Dense(4, activation="relu"))
    model.add(layers.Dense(2))
    assert not model.built
    out = model(np.ones((3, 5), "float32"))
    assert out.shape == (3, 2) and model.built
    assert len(model.weights) == 4
    popped = model.pop()
    assert popped.units == 2 and len(model.layers) == 1


def test_sequential_with_input_is_built_and_has_shapes():
    model = keras.Sequential([keras.Input((8,)), layers.Dense(3)])
    assert model.built
    assert model.output_shape == (None, 3)
    assert [layer.name for layer in model.layers] == [model.layers[0].name]


def test_functional_several_inputs_and_outputs_as_lists_and_dicts():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    joined = layers.Dense(5)(a) + layers.Dense(5)(b)
    head1 = layers.Dense(1, name="score")(joined)
    head2 = layers.Dense(2, name="klass")(joined)
    model = keras.Model({"a": a, "b": b}, {"score": head1, "klass": head2})
    outputs = model({"a": np.ones((2, 4)), "b": np.ones((2, 3))})
    assert set(outputs) == {"score", "klass"}
    assert outputs["klass"].shape == (2, 2)
    model.compile(optimizer="adam", loss={"score": "mse", "klass": "mse"})
    history = model.fit(
        {"a": np.random.rand(16, 4), "b": np.random.rand(16, 3)},
        {"score": np.random.rand(16, 1), "klass": np.random.rand(16, 2)},
        epochs=2,
        verbose=0,
    )
    assert {"loss", "score_loss", "klass_loss"} <= set(history.history)


def test_shared_layer_and_nested_model():
    shared = layers.Dense(3, name="shared")
    left, right = keras.Input((4,)), keras.Input((4,))
    merged = shared(left) + shared(right)
    inner = keras.Model([left, right], merged, name="inner")
    outer_inputs = [keras.Input((4,)), keras.Input((4,))]
    outer = keras.Model(outer_inputs, layers.Dense(1)(inner(outer_inputs)))
    assert len(inner.weights) == 2
    assert len(outer.weights) == 4
    x = [np.ones((2, 4)), np.zeros((2, 4))]
    expected = np.asarray(inner(x))
    kernel, bias = shared.get_weights()
    np.testing.assert_allclose(expected, np.ones((2, 4)) @ kernel + 2 * bias, rtol=1e-5)


def test_functional_config_round_trip_keeps_graph():
    a = keras.Input((4,), name="a")
    shared = layers.Dense(3, name="shared")
    out = layers.Dense(1, name="out")(shared(a) + shared(a))
    model = keras.Model(a, out)
    config = json.loads(json.dumps(model.get_config()))
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    x = np.random.rand(3, 4).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


class TwoLayer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(1)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))


def test_subclassed_model_trains():
    model = TwoLayer()
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.rand(64, 3), np.random.rand(64, 1)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert len(model.weights) == 4
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_shape_errors_at_definition_name_layer_and_shapes():
    dense = layers.Dense(2, name="head")
    dense(keras.Input((4,)))
    with pytest.raises(ValueError, match=r"'head'.*axis -1.*value 4.*\(None, 5\)"):
        dense(keras.Input((5,)))


def test_summary_lists_layers_and_totals():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="d1"), layers.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "d1 (Dense)" in text and "(None, 3)" in text
    assert "Total params: 19" in text


def test_get_layer_by_name_and_index():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="first"), layers.Dense(1)])
    assert model.get_layer("first") is model.layers[0]
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="No layer named 'nope'"):
        model.get_layer("nope")


def test_symbolic_ops_on_keras_tensors():
    x = keras.Input((3,))
    y = x * 2.0 + 1.0
    model = keras.Model(x, y)
    np.testing.assert_allclose(model.predict(np.ones((1, 3)), verbose=0), [[3.0, 3.0, 3.0]])


def test_model_call_inside_tf_function_matches_eager():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    x = tf.random.normal((2, 4))
    np.testing.assert_allclose(tf.function(model)(x), model(x), rtol=1e-6)


def test_layer_with_several_outputs_in_a_functional_model():
    class TwoOutputs(layers.Layer):
        def call(self, x):
            return [x, 2 * x]

        def compute_output_shape(self, shape):
            return [tuple(shape), tuple(shape)]

    first, second = TwoOutputs()(keras.Input((3,)))
    assert first.shape == (None, 3) and second.shape == (None, 3)


def test_call_default_for_training_is_honoured():
    class DefaultsToTraining(layers.Layer):
        def call(self, x, training=True):
            return x * 0.0 + (1.0 if training else 0.0)

    assert float(DefaultsToTraining()(np.ones((1, 1)))[0, 0]) == 1.0
    assert float(DefaultsToTraining()(np.ones((1, 1)), training=False)[0, 0]) == 0.0


def test_export_writes_a_saved_model_with_serving_default(tmp_path):
    model = keras.Sequential([keras.Input((4,), name="features"), layers.Dense(2)])
    x = np.random.rand(3, 4).astype("float32")
    model.export(str(tmp_path / "exported"), verbose=False)
    restored = tf.saved_model.load(str(tmp_path / "exported"))
    serving = restored.signatures["serving_default"]
    outputs = list(serving(tf.constant(x)).values())[0]
    np.testing.assert_allclose(outputs.numpy(), model.predict(x, verbose=0), rtol=1e-6)


def test_model_subclass_called_with_inputs_and_outputs_keeps_its_train_step():
    class Counting(keras.Model):
        def train_step(self, data):
            self.steps_seen = getattr(self, "steps_seen", 0) + 1
            return super().train_step(data)

    inputs = keras.Input((4,))
    model = Counting(inputs, layers.Dense(1)(inputs))
    assert isinstance(model, Counting) and model.name.startswith("counting")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((8, 4)), np.zeros((8, 1)), verbose=0)
    assert model.steps_seen >= 1
    clone = Counting.from_config(model.get_config())
    assert isinstance(clone, Counting) and len(clone.weights) == 2


def test_data_without_the_trailing_unit_dimension_is_accepted():
    inputs = keras.Input((1,))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    assert model.predict(np.zeros((3,), "float32"), verbose=0).shape == (3, 2)


def test_automatic_names_follow_keras():
    assert layers.Dense(1).name.startswith("dense")
    names = [
        layers.Conv2D(2, 3).name,
        layers.MaxPooling2D().name,
        layers.GlobalAveragePooling1D().name,
    ]
    assert names[0].startswith("conv2d") and names[1].startswith("max_pooling2d")
    assert names[2].startswith("global_average_pooling1d")


@pytest.mark.parametrize("library", [keras, keras3], ids=["kerascore", "keras"])
def test_a_model_from_an_intermediate_tensor_starts_at_a_new_input(library, tmp_path):
    inputs = library.Input((3,), name="raw")
    hidden = library.layers.Dense(4, name="first")(inputs)
    outputs = library.layers.Dense(2, name="second")(library.layers.Activation("relu")(hidden))
    whole = library.Model(inputs, outputs)
    head = library.Model(inputs=hidden, outputs=outputs)
    # As Keras 3: a new Input with the tensor's shape and dtype, and only the layers after it.
    assert [type(layer).__name__ for layer in head.layers] == ["InputLayer", "Activation", "Dense"]
    assert head.layers[0].name.endswith("CLONE")
    assert tuple(head.inputs[0].shape) == (None, 4)
    assert head.layers[2] is whole.layers[-1]
    rows = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    hidden_values = np.asarray(whole.layers[1](rows))
    np.testing.assert_allclose(
        head.predict(hidden_values, verbose=0), whole.predict(rows, verbose=0), atol=1e-6
    )
    # The model from the original Input still runs through the shared layers.
    assert library.Model(inputs, outputs).predict(rows, verbose=0).shape == (5, 2)
    head.compile(optimizer="sgd", loss="mse")
    head.fit(hidden_values, np.zeros((5, 2), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / "head.keras")
    head.save(path)
    restored = library.models.load_model(path)
    np.testing.assert_allclose(
        restored.predict(hidden_values, verbose=0),
        head.predict(hidden_values, verbose=0),
        atol=1e-6,
    )


def test_a_model_whose_outputs_need_an_input_it_lacks_says_which():
    first, second = keras.Input((2,), name="first_input"), keras.Input((2,), name="second_input")
    hidden = layers.Dense(2)(first)
    outputs = layers.Add()([hidden, second])
    with pytest.raises(ValueError, match="second_input"):
        keras.Model(inputs=hidden, outputs=outputs)

"""Tests for the top-level names Keras 3 exports (`keras.Loss`, `keras.Variable`,
`keras.device`, ...), on kerascore and, where they compare, against Keras 3."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerascore

# Each base class, its namespace and a class of that namespace.
BASE_CLASSES = {
    "Loss": (kerascore.losses, kerascore.losses.MeanSquaredError),
    "Metric": (kerascore.metrics, kerascore.metrics.Mean),
    "Optimizer": (kerascore.optimizers, kerascore.optimizers.Adam),
    "Initializer": (kerascore.initializers, kerascore.initializers.GlorotUniform),
    "Regularizer": (kerascore.regularizers, kerascore.regularizers.L2),
}


@pytest.mark.parametrize("name", sorted(BASE_CLASSES))
def test_base_classes_are_the_namespaces_bases(name):
    base = getattr(kerascore, name)
    namespace, member = BASE_CLASSES[name]
    assert base is getattr(namespace, name)
    assert issubclass(member, base)


def test_subclassing_the_top_level_loss_and_metric():
    class AbsoluteError(kerascore.Loss):
        def call(self, y_true, y_pred):
            return kerascore.ops.abs(y_true - y_pred)

    class Total(kerascore.Metric):
        def __init__(self, name="total", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, values):
            self.total.assign_add(tf.reduce_sum(tf.cast(values, self.total.dtype)))

        def result(self):
            return self.total

    loss = AbsoluteError()(tf.constant([[1.0], [2.0]]), tf.constant([[0.0], [4.0]]))
    assert float(loss) == pytest.approx(1.5)
    metric = Total()
    metric.update_state([1.0, 2.5])
    assert float(metric.result()) == pytest.approx(3.5)


def test_keras_tensor_and_dtype_policies():
    assert isinstance(kerascore.Input((3,)), kerascore.KerasTensor)
    policy = kerascore.DTypePolicy("mixed_float16")
    assert (policy.compute_dtype, policy.variable_dtype) == ("float16", "float32")
    float_policy = kerascore.FloatDTypePolicy("mixed_bfloat16")
    their_policy = keras.FloatDTypePolicy("mixed_bfloat16")
    assert isinstance(float_policy, kerascore.DTypePolicy)
    assert (float_policy.compute_dtype, float_policy.variable_dtype) == (
        their_policy.compute_dtype,
        their_policy.variable_dtype,
    )
    layer = kerascore.layers.Dense(2, dtype=float_policy)
    layer.build((None, 3))
    assert layer.kernel.dtype == tf.float32
    assert layer(tf.ones((1, 3))).dtype == tf.bfloat16


@pytest.mark.parametrize(
    "arguments",
    [
        {"initializer": np.array([1.0, 2.0], "float32")},
        {"initializer": np.array([1, 2], "int32")},
        {"initializer": [[1.5, 2.5]], "dtype": "float64"},
        {"initializer": "ones", "shape": (2, 3)},
        {"initializer": "zeros", "shape": (4,), "dtype": "int32", "trainable": False},
        {"initializer": 3.0, "name": "scale"},
    ],
)
def test_variable_matches_keras(arguments):
    ours = kerascore.Variable(**arguments)
    theirs = keras.Variable(**arguments)
    assert isinstance(ours, kerascore.Variable) and isinstance(ours, tf.Variable)
    assert ours.dtype.name == theirs.dtype
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.trainable == theirs.trainable
    np.testing.assert_array_equal(ours.numpy(), keras.ops.convert_to_numpy(theirs))
    if "name" in arguments:
        assert ours.path == theirs.path == arguments["name"]


def test_variable_path_follows_name_scopes_as_in_keras():
    with kerascore.name_scope("outer"), kerascore.name_scope("inner"):
        ours = kerascore.Variable(1.0, name="v")
    with keras.name_scope("outer"), keras.name_scope("inner"):
        theirs = keras.Variable(1.0, name="v")
    assert ours.path == theirs.path == "outer/inner/v"
    assert ours.name == "outer/inner/v:0"


def test_variable_assign_and_gradients():
    weight = kerascore.Variable(initializer="ones", shape=(2,), name="w")
    weight.assign([2.0, 3.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(weight * weight)
    np.testing.assert_allclose(tape.gradient(loss, weight).numpy(), [4.0, 6.0])
    layer = kerascore.layers.Dense(1)
    layer.build((None, 2))
    assert all(isinstance(v, kerascore.Variable) for v in layer.weights)
    assert not isinstance(np.zeros(2), kerascore.Variable)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"initializer": "ones"}, "shape"),
        ({"initializer": 1.0, "name": "a/b"}, "name='a/b'"),
        ({"initializer": 1.0, "aggregation": "max"}, "aggregation='max'"),
        ({"initializer": 1.0, "synchronization": "always"}, "synchronization='always'"),
    ],
)
def test_variable_rejects_what_keras_rejects(arguments, message):
    with pytest.raises(ValueError, match=message):
        kerascore.Variable(**arguments)
    with pytest.raises(ValueError):
        keras.Variable(**arguments)


def test_device_places_tensors():
    with kerascore.device("cpu:0"):
        value = tf.ones((2,)) * 2.0
    assert value.device.endswith("CPU:0")


def test_name_scope_prefixes_layer_weights_and_deduplicates_a_callers_repeat():
    with kerascore.name_scope("encoder"):
        layer = kerascore.layers.Dense(2, name="proj")
        layer.build((None, 3))
    assert layer.kernel.name == "encoder/proj/kernel:0"
    owner = object()
    with kerascore.name_scope("block", caller=owner):
        with kerascore.name_scope("block", caller=owner):
            repeated = tf.Variable(1.0, name="v")
        with kerascore.name_scope("block"):
            nested = tf.Variable(1.0, name="v")
    assert repeated.name == "block/v:0"
    assert nested.name == "block/block/v:0"
    with pytest.raises(ValueError, match="name='a/b'"):
        kerascore.name_scope("a/b")


def test_remat_keeps_outputs_and_gradients():
    dense = kerascore.layers.Dense(4, activation="tanh")
    x = tf.random.stateless_normal((3, 5), seed=(1, 2))
    dense.build(x.shape)

    def block(inputs):
        return tf.reduce_sum(dense(inputs) ** 2)

    rematerialized = kerascore.remat(block)
    with tf.GradientTape(persistent=True) as tape:
        plain = block(x)
        recomputed = rematerialized(x)
    np.testing.assert_allclose(plain.numpy(), recomputed.numpy(), rtol=1e-6)
    for variable in dense.trainable_variables:
        np.testing.assert_allclose(
            tape.gradient(plain, variable).numpy(),
            tape.gradient(recomputed, variable).numpy(),
            rtol=1e-5,
            atol=1e-6,
        )


def test_quantizer_base_class_matches_keras():
    for library in (kerascore, keras):
        quantizer = library.Quantizer()
        assert quantizer.output_dtype == "int8"
        x = tf.constant([1.5, -2.0])
        assert quantizer(x) is x
        with pytest.raises(NotImplementedError):
            quantizer.get_config()

    class Rounding(kerascore.Quantizer):
        def __call__(self, x):
            return tf.cast(tf.round(x), self.output_dtype)

        def get_config(self):
            return {"output_dtype": self.output_dtype}

    rebuilt = Rounding.from_config(Rounding("int32").get_config())
    assert rebuilt(tf.constant([1.4, 2.6])).numpy().tolist() == [1, 3]


class Softsign(kerascore.Operation):
    def call(self, x, scale=1.0):
        return scale * x / (1.0 + tf.abs(x))


def test_operation_runs_eagerly_and_in_a_functional_model():
    operation = Softsign()
    assert operation.name.startswith("softsign")
    np.testing.assert_allclose(operation(tf.constant([1.0, -3.0])).numpy(), [0.5, -0.75])
    inputs = kerascore.Input((2,))
    symbolic = operation(inputs, scale=2.0)
    assert isinstance(symbolic, kerascore.KerasTensor) and symbolic.shape == (None, 2)
    spec = operation.compute_output_spec(inputs)
    assert spec.shape == (None, 2) and spec.dtype == "float32"
    model = kerascore.Model(inputs, kerascore.layers.Dense(1)(symbolic))
    data = np.array([[1.0, 3.0]], "float32")
    expected = 2.0 * data / (1.0 + np.abs(data)) @ model.layers[-1].kernel.numpy()
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-6)
    assert isinstance(kerascore.layers.Dense(1), kerascore.Operation)
    assert issubclass(kerascore.layers.Dense, kerascore.Operation)
    assert not isinstance(object(), kerascore.Operation)


def test_function_runs_the_graph_as_keras_function_does():
    def build(library):
        a = library.Input((3,), name="a")
        b = library.Input((3,), name="b")
        total = library.ops.sum(a * b, axis=-1)
        return library.Function([a, b], [total, a - b])

    ours, theirs = build(kerascore), build(keras)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = np.ones((2, 3), "float32")
    for mine, other in zip(ours([x, y]), theirs([x, y])):
        np.testing.assert_allclose(np.asarray(mine), keras.ops.convert_to_numpy(other))
    assert len(ours.inputs) == 2 and len(ours.outputs) == 2
    assert ours.operations
    specs = ours.compute_output_spec([kerascore.Input((3,)), kerascore.Input((3,))])
    assert [spec.shape for spec in specs] == [(None,), (None, 3)]


def test_every_keras_top_level_class_or_function_is_there_but_the_documented_two():
    missing = {
        name
        for name in dir(keras)
        if not name.startswith("_")
        and not isinstance(getattr(keras, name), type(keras))
        and not hasattr(kerascore, name)
    }
    # Left out, with the reasons in docs/keras_coverage.md: they need variable hooks kerascore's
    # tf.Variable weights do not have.
    assert missing == {"StatelessScope", "SymbolicScope"}

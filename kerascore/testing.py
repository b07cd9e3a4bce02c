"""The generic layer test: one call checks what every layer must do.

Also useful to authors of custom layers:

    from kerascore.testing import run_layer_test
    run_layer_test(MyLayer, {"units": 4}, input_shape=(2, 3), expected_output_shape=(2, 4),
                   expected_num_trainable_weights=2)
"""

import json

import numpy as np
import tensorflow as tf


def _random_inputs(input_shape, input_dtype, seed):
    rng = np.random.default_rng(seed)
    if isinstance(input_shape, list):
        return [_random_inputs(shape, input_dtype, seed + i) for i, shape in enumerate(input_shape)]
    if "int" in str(input_dtype):
        return rng.integers(0, 5, size=input_shape).astype(input_dtype)
    return rng.normal(size=input_shape).astype(input_dtype)


def _shape_of(outputs):
    return tf.nest.map_structure(lambda t: tuple(t.shape), outputs)


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    expected_num_trainable_weights=0,
    expected_num_non_trainable_weights=0,
    input_dtype="float32",
    run_training_check=True,
    deterministic=True,
    custom_objects=None,
    atol=1e-5,
):
    """Checks a layer: build, eager call, compiled call, output shape against
    `compute_output_shape`, weight counts, config round trip through JSON, and that one
    training step through it lowers a loss.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: the input shape with the batch dimension, or a list of them.
        expected_output_shape: the output shape with the batch dimension.
        expected_num_trainable_weights: how many trainable weights `build` creates.
        expected_num_non_trainable_weights: how many non-trainable ones.
        input_dtype: dtype of the random inputs.
        run_training_check: whether to check that a training step lowers the loss.
        deterministic: whether the eager and compiled calls must agree exactly (False for
            layers that are random at inference).

    Raises:
        AssertionError: naming the property that failed.
    """
    from kerascore import Input, Model
    from kerascore.layers import Dense, Flatten
    from kerascore.saving.serialization import custom_object_scope

    inputs = _random_inputs(input_shape, input_dtype, seed=0)

    layer = layer_cls(**init_kwargs)
    assert not layer.built, f"{layer_cls.__name__} is built before its first call"
    build_shape = input_shape if not isinstance(input_shape, list) else list(input_shape)
    layer.build(build_shape)
    layer.built = True
    assert len(layer.trainable_weights) == expected_num_trainable_weights, (
        f"{layer_cls.__name__}: expected {expected_num_trainable_weights} trainable weights, "
        f"got {len(layer.trainable_weights)}"
    )
    assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, (
        f"{layer_cls.__name__}: expected {expected_num_non_trainable_weights} non-trainable "
        f"weights, got {len(layer.non_trainable_weights)}"
    )

    eager_layer = layer_cls(**init_kwargs)
    eager_outputs = eager_layer(inputs)
    assert eager_layer.built, f"{layer_cls.__name__} did not build on its first call"
    assert (
        _shape_of(eager_outputs) == tuple(expected_output_shape)
        or _shape_of(eager_outputs) == expected_output_shape
    ), (
        f"{layer_cls.__name__}: eager output shape {_shape_of(eager_outputs)} != expected "
        f"{expected_output_shape}"
    )

    compiled = tf.function(lambda x: eager_layer(x, training=False))
    compiled_outputs = compiled(inputs)
    if deterministic:
        eager_again = eager_layer(inputs, training=False)
        for a, b in zip(tf.nest.flatten(eager_again), tf.nest.flatten(compiled_outputs)):
            np.testing.assert_allclose(
                np.asarray(a),
                np.asarray(b),
                atol=atol,
                err_msg=f"{layer_cls.__name__}: eager and compiled calls differ",
            )

    computed = eager_layer.compute_output_shape(
        input_shape if not isinstance(input_shape, list) else list(input_shape)
    )
    computed = tf.nest.map_structure(lambda d: d, computed)
    expected_without_batch = tf.nest.map_structure(lambda d: d, expected_output_shape)
    assert _shapes_match(computed, expected_without_batch), (
        f"{layer_cls.__name__}: compute_output_shape gave {computed}, but the call produced "
        f"{expected_output_shape}"
    )

    config = layer.get_config()
    restored_config = json.loads(json.dumps(config))
    with custom_object_scope(custom_objects or {}):
        restored = layer_cls.from_config(restored_config)
    assert restored.get_config() == config, (
        f"{layer_cls.__name__}: config does not round-trip through JSON:\n{config}\n"
        f"{restored.get_config()}"
    )

    if run_training_check:
        _check_training_lowers_loss(
            layer_cls, init_kwargs, input_shape, input_dtype, inputs, Input, Model, Dense, Flatten
        )
    return eager_layer


def _shapes_match(computed, expected):
    if isinstance(expected, list):
        return all(_shapes_match(c, e) for c, e in zip(computed, expected))
    computed = tuple(computed)
    expected = tuple(expected)
    if len(computed) != len(expected):
        return False
    return all(c is None or e is None or c == e for c, e in zip(computed, expected))


def _check_training_lowers_loss(
    layer_cls, init_kwargs, input_shape, input_dtype, inputs, Input, Model, Dense, Flatten
):
    from kerascore import optimizers

    tf.random.set_seed(0)
    if isinstance(input_shape, list):
        model_inputs = [Input(batch_shape=(None, *s[1:]), dtype=input_dtype) for s in input_shape]
        hidden = layer_cls(**init_kwargs)(model_inputs)
    else:
        model_inputs = Input(batch_shape=(None, *input_shape[1:]), dtype=input_dtype)
        hidden = layer_cls(**init_kwargs)(model_inputs)
    hidden = tf.nest.flatten(hidden)[0]
    if len(hidden.shape) > 2:
        hidden = Flatten()(hidden)
    outputs = Dense(1)(hidden)
    model = Model(model_inputs, outputs)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.01), loss="mse")
    rng = np.random.default_rng(1)
    batch = (inputs[0] if isinstance(inputs, list) else inputs).shape[0]
    targets = rng.normal(size=(batch, 1)).astype("float32")
    before = model.evaluate(inputs, targets, verbose=0)
    model.fit(inputs, targets, epochs=3, batch_size=batch, verbose=0, shuffle=False)
    after = model.evaluate(inputs, targets, verbose=0)
    assert after < before, (
        f"{layer_cls.__name__}: training did not lower the loss ({before:.6f} -> {after:.6f})"
    )

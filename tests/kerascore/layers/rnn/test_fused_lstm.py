"""LSTM through TensorFlow's fused `BlockLSTM` kernel: when it runs, and that its outputs and
gradients equal the per-step loop's (`use_cudnn=False`) and Keras 3's LSTM for the same weights.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

import kerascore
from kerascore import layers
from kerascore.layers.rnn.lstm import block_lstm

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

BATCH, STEPS, FEATURES, UNITS = 4, 7, 5, 6
ATOL = 1e-5

pytestmark = pytest.mark.skipif(
    bool(tf.config.list_logical_devices("GPU")),
    reason="the BlockLSTM kernel replaces the loop only where no GPU is visible",
)


def _inputs(shape=(BATCH, STEPS, FEATURES), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _random_weights(layer, seed=1, scale=0.6):
    """Sets every weight of a built `layer` to normal draws, so no gate sits near zero."""
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [(rng.normal(size=w.shape) * scale).astype("float32") for w in layer.get_weights()]
    )


def _traced_op_types(layer, inputs, **call_kwargs):
    """The op types of a `tf.function` that calls `layer` (including nested function bodies)."""
    function = tf.function(lambda x: layer(x, **call_kwargs))
    graph = function.get_concrete_function(tf.constant(inputs)).graph
    types = {op.type for op in graph.get_operations()}
    for nested in graph._functions.values():
        types |= {node.op for node in nested.definition.node_def}
    return types


def _outputs_and_gradients(layer, inputs, initial_state=None, mask=None, compiled=False):
    """Flat outputs of `layer(inputs)` and the gradients of a random projection of them with
    respect to the inputs, the initial states (when given) and the trainable weights."""
    sources = [tf.constant(inputs)] + [tf.constant(s) for s in initial_state or []]

    def run(*tensors):
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            kwargs = {} if mask is None else {"mask": tf.constant(mask)}
            if initial_state is not None:
                kwargs["initial_state"] = list(tensors[1:])
            outputs = tf.nest.flatten(layer(tensors[0], **kwargs))
            rng = np.random.default_rng(7)
            loss = sum(
                tf.reduce_sum(o * rng.normal(size=o.shape).astype("float32")) for o in outputs
            )
        return outputs, tape.gradient(loss, list(tensors) + list(layer.trainable_weights))

    if compiled:
        run = tf.function(run)
    outputs, gradients = run(*sources)
    return [np.asarray(o) for o in outputs], [np.asarray(g) for g in gradients]


def _assert_all_close(ours, reference, what):
    assert len(ours) == len(reference), f"different numbers of {what}"
    for index, (mine, theirs) in enumerate(zip(ours, reference)):
        np.testing.assert_allclose(
            mine, theirs, atol=ATOL, rtol=1e-5, err_msg=f"{what} {index} differs"
        )


def _fused_and_loop(sequences=None, **kwargs):
    """An LSTM on the fused kernel and one on the per-step loop, both with the same random
    weights."""
    sequences = _inputs() if sequences is None else sequences
    fused = layers.LSTM(UNITS, **kwargs)
    loop = layers.LSTM(UNITS, use_cudnn=False, **kwargs)
    fused.build(sequences.shape)
    loop.build(sequences.shape)
    _random_weights(fused)
    loop.set_weights(fused.get_weights())
    return fused, loop


# ----------------------------------------------------------------- which path runs
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "go_backwards": True}])
def test_block_kernel_replaces_the_loop_when_arguments_allow(kwargs):
    types = _traced_op_types(layers.LSTM(UNITS, **kwargs), _inputs())
    assert "BlockLSTM" in types
    assert not types & {"While", "StatelessWhile"}


@pytest.mark.parametrize(
    "kwargs, call_kwargs",
    [
        ({"use_cudnn": False}, {}),
        ({"recurrent_dropout": 0.2}, {}),
        ({"unroll": True}, {}),
        ({"activation": "relu"}, {}),
        ({"recurrent_activation": "hard_sigmoid"}, {}),
        ({}, {"mask": tf.constant(np.ones((BATCH, STEPS), dtype=bool))}),
    ],
    ids=["use_cudnn_false", "recurrent_dropout", "unroll", "relu", "hard_sigmoid", "mask"],
)
def test_loop_runs_when_arguments_rule_the_kernel_out(kwargs, call_kwargs):
    types = _traced_op_types(layers.LSTM(UNITS, **kwargs), _inputs(), **call_kwargs)
    assert "BlockLSTM" not in types


# ----------------------------------------------------------------- fused kernel == loop
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True},
        {"return_state": True},
        {"go_backwards": True},
        {"return_sequences": True, "return_state": True, "go_backwards": True},
        {"use_bias": False, "return_sequences": True},
        {"unit_forget_bias": False, "activity_regularizer": "l2"},
    ],
    ids=lambda kwargs: ",".join(kwargs) or "defaults",
)
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "tf_function"])
def test_outputs_and_gradients_equal_the_loop(kwargs, compiled):
    fused, loop = _fused_and_loop(**kwargs)
    fused_outputs, fused_gradients = _outputs_and_gradients(fused, _inputs(), compiled=compiled)
    loop_outputs, loop_gradients = _outputs_and_gradients(loop, _inputs(), compiled=compiled)
    _assert_all_close(fused_outputs, loop_outputs, "output")
    _assert_all_close(fused_gradients, loop_gradients, "gradient")
    if "activity_regularizer" in kwargs and not compiled:
        np.testing.assert_allclose(
            float(sum(fused.losses)), float(sum(loop.losses)), rtol=1e-5, atol=ATOL
        )


@pytest.mark.parametrize("go_backwards", [False, True])
def test_initial_state_outputs_and_gradients_equal_the_loop(go_backwards):
    fused, loop = _fused_and_loop(
        return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    states = [_inputs((BATCH, UNITS), seed=2), _inputs((BATCH, UNITS), seed=3)]
    fused_result = _outputs_and_gradients(fused, _inputs(), initial_state=states)
    loop_result = _outputs_and_gradients(loop, _inputs(), initial_state=states)
    _assert_all_close(fused_result[0], loop_result[0], "output")
    # Gradients: inputs, h0, c0, then the three weights.
    _assert_all_close(fused_result[1], loop_result[1], "gradient")


def test_masks_fall_back_to_the_loop_with_its_results():
    mask = np.ones((BATCH, STEPS), dtype=bool)
    mask[0, 4:] = False
    mask[2, 1:] = False
    mask[3, :3] = False  # left padding as well
    fused, loop = _fused_and_loop(return_sequences=True, return_state=True)
    fused_result = _outputs_and_gradients(fused, _inputs(), mask=mask)
    loop_result = _outputs_and_gradients(loop, _inputs(), mask=mask)
    _assert_all_close(fused_result[0], loop_result[0], "output")
    _assert_all_close(fused_result[1], loop_result[1], "gradient")


def test_stateful_lstm_carries_and_resets_state_like_the_loop():
    batch = (2, 3, FEATURES)
    fused, loop = _fused_and_loop(_inputs(batch), stateful=True, return_state=True)
    for seed in (0, 1):
        chunk = _inputs(batch, seed=seed)
        _assert_all_close(
            [np.asarray(t) for t in fused(chunk)], [np.asarray(t) for t in loop(chunk)], "output"
        )
    _assert_all_close([v.numpy() for v in fused.states], [v.numpy() for v in loop.states], "state")
    fused.reset_states()
    fresh = layers.LSTM(UNITS, return_state=True)
    fresh.build(batch)
    fresh.set_weights(fused.get_weights())
    _assert_all_close(
        [np.asarray(t) for t in fused(_inputs(batch))],
        [np.asarray(t) for t in fresh(_inputs(batch))],
        "output after reset",
    )


def test_input_dropout_matches_the_loop_in_training():
    fused, loop = _fused_and_loop(dropout=0.3, seed=5, return_sequences=True)
    tf.random.set_seed(11)
    fused_output = np.asarray(fused(_inputs(), training=True))
    tf.random.set_seed(11)
    loop_output = np.asarray(loop(_inputs(), training=True))
    np.testing.assert_allclose(fused_output, loop_output, atol=ATOL, rtol=1e-5)
    assert not np.allclose(fused_output, np.asarray(fused(_inputs(), training=False)))


def test_mixed_float16_runs_the_kernel_in_half_precision_like_the_loop():
    fused, loop = _fused_and_loop(dtype="mixed_float16", return_sequences=True)
    assert "BlockLSTM" in _traced_op_types(fused, _inputs())
    fused_output, loop_output = fused(_inputs()), loop(_inputs())
    assert fused_output.dtype == tf.float16
    np.testing.assert_allclose(
        np.asarray(fused_output, dtype="float32"),
        np.asarray(loop_output, dtype="float32"),
        atol=2e-3,
    )


def test_block_lstm_function_equals_the_lstm_equations():
    sequences = _inputs((STEPS, BATCH, FEATURES))
    rng = np.random.default_rng(4)
    kernel, recurrent_kernel = (
        rng.normal(size=(rows, 4 * UNITS)).astype("float32") for rows in (FEATURES, UNITS)
    )
    bias = rng.normal(size=(4 * UNITS,)).astype("float32")
    h, c = (rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(2))
    outputs, cells = block_lstm(sequences, h, c, kernel, recurrent_kernel, bias)

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    for step in range(STEPS):
        z = sequences[step] @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        np.testing.assert_allclose(np.asarray(cells[step]), c, atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(np.asarray(outputs[step]), h, atol=1e-5, rtol=1e-5)


# ----------------------------------------------------------------- fused kernel == Keras 3
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_sequences": True, "return_state": True},
        {"go_backwards": True, "return_sequences": True},
    ],
    ids=lambda kwargs: ",".join(kwargs) or "defaults",
)
def test_outputs_and_gradients_equal_keras(kwargs):
    ours = layers.LSTM(UNITS, **kwargs)
    theirs = keras.layers.LSTM(UNITS, **kwargs)
    ours.build((BATCH, STEPS, FEATURES))
    theirs.build((BATCH, STEPS, FEATURES))
    _random_weights(theirs)
    ours.set_weights(theirs.get_weights())
    states = [_inputs((BATCH, UNITS), seed=2), _inputs((BATCH, UNITS), seed=3)]
    our_outputs, our_gradients = _outputs_and_gradients(ours, _inputs(), initial_state=states)
    their_outputs, their_gradients = _outputs_and_gradients(theirs, _inputs(), initial_state=states)
    _assert_all_close(our_outputs, their_outputs, "output")
    _assert_all_close(our_gradients, their_gradients, "gradient")


def test_compiled_fit_trains_like_the_loop():
    """Two epochs of `fit` (a compiled train step with Adam) move the weights alike."""
    x = _inputs((32, STEPS, FEATURES))
    y = np.random.default_rng(3).integers(0, 2, size=32)

    def trained(use_cudnn):
        kerascore.utils.set_random_seed(0)
        model = kerascore.Sequential(
            [
                kerascore.Input((STEPS, FEATURES)),
                layers.LSTM(UNITS, use_cudnn=use_cudnn),
                layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model.get_weights(), history.history["loss"]

    fused_weights, fused_loss = trained("auto")
    loop_weights, loop_loss = trained(False)
    np.testing.assert_allclose(fused_loss, loop_loss, rtol=1e-4)
    _assert_all_close(fused_weights, loop_weights, "weight after fit")

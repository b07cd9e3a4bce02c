"""The cuDNN path of LSTM and GRU (`kerascore/layers/rnn/cudnn.py`).

On CPU: the parameter packing equals Keras's (its `_standardize_cudnn_weights` and the
`params` its `_cudnn_lstm`/`_cudnn_gru` hand to the op, CUDA and ROCm builds), the mask
checks equal Keras's, and the gate says no without a GPU, under XLA or for arguments cuDNN
lacks. `CudnnRNNV3` has no CPU kernel, so the path also runs against `emulated_cudnn_rnn`, a
NumPy reading of cuDNN's documented equations and parameter layout; Keras's own cuDNN path
run through the emulator matches Keras's loop, which checks the emulator. With the emulator
standing in for a GPU (`emulated_gpu`), `LSTM` and `GRU` take the cuDNN path and equal the
loop (masks, go_backwards, states, dropout, stateful, Bidirectional, eager and graph), and
fall back to the loop where cuDNN cannot run. The emulator has no gradient: gradients and
training are checked by the tests marked `gpu` (`needs_gpu`), which run the real op; the default
run deselects them (`python -m pytest -m gpu` on a GPU machine).
"""

import importlib
import os

import numpy as np
import pytest
import tensorflow as tf

from kerascore import activations, layers, ops
from kerascore.layers.rnn import cudnn

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

# The module, not the `rnn` function its package exports under the same name.
keras_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 3
RIGHT_PADDED = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)


def needs_gpu(test):
    """Runs the real CudnnRNNV3: marked `gpu`, which the default run deselects (pyproject's
    addopts); `python -m pytest -m gpu tests/kerascore/layers/test_cudnn.py` on a GPU machine
    runs them (and skips them, saying why, where no GPU is visible)."""
    on_gpu_only = pytest.mark.skipif(
        not cudnn.gpu_available(),
        reason="no GPU visible: CudnnRNNV3 has no CPU kernel (run on a GPU machine)",
    )
    return pytest.mark.gpu(on_gpu_only(test))


def _rng(seed=0):
    return np.random.default_rng(seed)


def _weights(gates, seed=0, gru=False):
    rng = _rng(seed)
    kernel = rng.normal(size=(FEATURES, gates * UNITS)).astype("float32")
    recurrent = rng.normal(size=(UNITS, gates * UNITS)).astype("float32")
    bias_shape = (2, gates * UNITS) if gru else (gates * UNITS,)
    bias = rng.normal(size=bias_shape).astype("float32")
    return kernel * 0.5, recurrent * 0.5, bias


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _emulate_in_numpy(x, h, c, params, lengths, rnn_mode, time_major):
    """`CudnnRNNV3` (one layer, one direction, linear input) in NumPy, from cuDNN's docs.

    `params` holds each gate's input matrix `(units, features)` row-major, then each gate's
    recurrent matrix `(units, units)`, then the input biases, then the recurrent biases; the
    LSTM gates are `i, f, c, o` and the GRU gates `r, z, h`. Steps past a sequence's length
    emit zeros and leave the states alone.
    """
    x, h, c = np.asarray(x), np.array(h), np.array(c)
    if rnn_mode != "lstm":
        c = np.zeros_like(h)
    if time_major:
        x, h, c = x.transpose(1, 0, 2), h[0], c[0]
    else:
        h, c = h[:, 0], c[:, 0]
    batch, steps, features = x.shape
    units = h.shape[-1]
    gates = 4 if rnn_mode == "lstm" else 3
    flat, offset = np.asarray(params), 0

    def take(*shape):
        nonlocal offset
        size = int(np.prod(shape))
        block = flat[offset : offset + size].reshape(shape)
        offset += size
        return block

    w = [take(units, features) for _ in range(gates)]
    r = [take(units, units) for _ in range(gates)]
    bw = [take(units) for _ in range(gates)]
    br = [take(units) for _ in range(gates)]
    assert offset == flat.size, "params has the wrong size"
    outputs = np.zeros((batch, steps, units), dtype=x.dtype)
    for b in range(batch):
        for t in range(lengths[b]):
            xt, ht = x[b, t], h[b]
            wx = [w[g] @ xt + bw[g] for g in range(gates)]
            rh = [r[g] @ ht + br[g] for g in range(gates)]
            if rnn_mode == "lstm":
                i, f = _sigmoid(wx[0] + rh[0]), _sigmoid(wx[1] + rh[1])
                o = _sigmoid(wx[3] + rh[3])
                c[b] = f * c[b] + i * np.tanh(wx[2] + rh[2])
                h[b] = o * np.tanh(c[b])
            else:
                reset, update = _sigmoid(wx[0] + rh[0]), _sigmoid(wx[1] + rh[1])
                candidate = np.tanh(wx[2] + reset * rh[2])
                h[b] = (1 - update) * candidate + update * ht
            outputs[b, t] = h[b]
    if time_major:
        return outputs.transpose(1, 0, 2), h[None], c[None]
    return outputs, h[:, None], c[:, None]


def emulated_cudnn_rnn(
    *, input, input_h, input_c, params, sequence_lengths, rnn_mode, time_major, **_
):
    """Stands in for `tf.raw_ops.CudnnRNNV3` (eagerly and in graphs) on CPU."""
    input_h = tf.convert_to_tensor(input_h)
    input_c = tf.convert_to_tensor(input_c, dtype=input_h.dtype)
    outputs, h, c = tf.numpy_function(
        lambda *args: _emulate_in_numpy(*args, rnn_mode, time_major),
        [input, input_h, input_c, params, sequence_lengths],
        [input_h.dtype] * 3,
    )
    batch_major_shape = tf.TensorShape(input.shape[:-1] + input_h.shape[-1:])
    outputs.set_shape(batch_major_shape)
    h.set_shape(input_h.shape)
    c.set_shape(input_h.shape)
    empty = tf.zeros((0,))
    return outputs, h, c, empty, empty


def _build_info(cuda, rocm):
    return lambda: {"is_cuda_build": cuda, "is_rocm_build": rocm}


def _capture_params(monkeypatch):
    """Replaces `CudnnRNNV3` by the emulator; returns the list its `params` are added to."""
    captured = []

    def fake(**kwargs):
        captured.append(np.asarray(kwargs["params"]))
        return emulated_cudnn_rnn(**kwargs)

    monkeypatch.setattr(tf.raw_ops, "CudnnRNNV3", fake)
    return captured


# ------------------------------------------------------------------ (a) parameter packing
@pytest.mark.parametrize("rocm", [False, True])
def test_lstm_params_equal_keras_standardized_weights(rocm):
    kernel, recurrent, bias = _weights(4)
    weights = tf.split(kernel, 4, axis=1) + tf.split(recurrent, 4, axis=1)
    biases = tf.split(tf.concat([tf.zeros_like(bias), bias], 0), 8)
    if rocm:
        order = (0, 1, 3, 2, 4, 5, 7, 6)
        weights, biases = [weights[i] for i in order], [biases[i] for i in order]
    expected = keras_rnn._standardize_cudnn_weights(
        weights, biases, tf.constant([-1]), transpose_weights=True
    )
    ours = cudnn.lstm_cudnn_params(kernel, recurrent, bias, rocm=rocm)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(expected))


@pytest.mark.parametrize("cuda", [True, False])
def test_gru_params_equal_keras_standardized_weights(cuda):
    kernel, recurrent, bias = _weights(3, gru=True)
    weights = tf.split(kernel, 3, axis=1) + tf.split(recurrent, 3, axis=1)
    biases = tf.split(tf.reshape(bias, [-1]), 6)
    if cuda:
        weights[0], weights[1], weights[3], weights[4] = (
            weights[1],
            weights[0],
            weights[4],
            weights[3],
        )
        biases[0], biases[1], biases[3], biases[4] = biases[1], biases[0], biases[4], biases[3]
    expected = keras_rnn._standardize_cudnn_weights(
        weights, biases, tf.constant([-1]), transpose_weights=True
    )
    ours = cudnn.gru_cudnn_params(kernel, recurrent, bias, cuda=cuda)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(expected))


@pytest.mark.parametrize("cuda, rocm", [(True, False), (False, True)])
def test_params_equal_those_keras_hands_to_the_op(monkeypatch, cuda, rocm):
    """Keras's `_cudnn_lstm`/`_cudnn_gru` and ours, reading the same (patched) build."""
    monkeypatch.setattr(tf.sysconfig, "get_build_info", _build_info(cuda, rocm))
    captured = _capture_params(monkeypatch)
    inputs = _rng(1).normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    h0 = np.zeros((BATCH, UNITS), "float32")
    lstm_weights, gru_weights = _weights(4, seed=2), _weights(3, seed=3, gru=True)
    keras_rnn._cudnn_lstm(inputs, h0, h0, *lstm_weights, None, False, False, True)
    cudnn.cudnn_lstm(inputs, h0, h0, *lstm_weights, return_sequences=True)
    keras_rnn._cudnn_gru(inputs, h0, *gru_weights, None, False, False, True)
    cudnn.cudnn_gru(inputs, h0, *gru_weights, return_sequences=True)
    keras_lstm, ours_lstm, keras_gru, ours_gru = captured
    np.testing.assert_array_equal(ours_lstm, keras_lstm)
    np.testing.assert_array_equal(ours_gru, keras_gru)


# ------------------------------------------------------------------------ (b) mask checks
MASKS = {
    "right_padded": RIGHT_PADDED,
    "full": np.ones((BATCH, STEPS), bool),
    "left_padded": RIGHT_PADDED[:, ::-1],
    "hole": np.array([[1, 0, 1, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], bool),
    "fully_masked_row": np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool),
    "random": _rng(4).random((6, 7)) > 0.4,
}


@pytest.mark.parametrize("name", sorted(MASKS))
def test_mask_checks_agree_with_keras(name):
    mask = tf.constant(MASKS[name])
    for time_major, m in ((False, mask), (True, tf.transpose(mask))):
        np.testing.assert_array_equal(
            np.asarray(cudnn.sequence_lengths_from_mask(m, time_major)),
            np.asarray(keras_rnn._compute_sequence_length_from_mask(m, time_major)),
        )
    assert bool(cudnn.has_fully_masked_sequence(mask)) == bool(
        keras_rnn._has_fully_masked_sequence(mask)
    )
    assert bool(cudnn.is_right_padded(mask)) == bool(keras_rnn._is_sequence_right_padded(mask))
    try:
        keras_rnn._assert_valid_mask(mask)
        keras_valid = True
    except tf.errors.InvalidArgumentError:
        keras_valid = False
    assert bool(cudnn.mask_supported(mask)) == keras_valid
    assert keras_valid == (name in ("right_padded", "full"))


def test_mask_supported_in_a_graph():
    check = tf.function(cudnn.mask_supported)
    assert bool(check(tf.constant(MASKS["right_padded"])))
    assert not bool(check(tf.constant(MASKS["hole"])))


# ------------------------------------------------------------------------------ (c) gate
TANH, SIGMOID = activations.get("tanh"), activations.get("sigmoid")
SUPPORTED = {"activation": TANH, "recurrent_activation": SIGMOID, "unroll": False}


@pytest.mark.skipif(cudnn.gpu_available(), reason="checks the answer on a machine without GPU")
def test_gate_says_no_without_a_gpu():
    assert not cudnn.gpu_available()
    assert not cudnn.cudnn_ok(**SUPPORTED, use_bias=True)
    assert not cudnn.cudnn_ok(**SUPPORTED, use_bias=True, reset_after=True)


@pytest.mark.parametrize("reset_after", [None, True], ids=["lstm", "gru"])
def test_gate_says_yes_for_supported_arguments_with_a_gpu(reset_after):
    assert cudnn.cudnn_ok(**SUPPORTED, use_bias=True, reset_after=reset_after, gpu=True)
    assert cudnn.cudnn_ok(
        tf.tanh, tf.nn.sigmoid, False, True, reset_after=reset_after, dtype="float16", gpu=True
    )
    assert cudnn.cudnn_ok(ops.tanh, ops.sigmoid, False, True, reset_after=reset_after, gpu=True)


@pytest.mark.parametrize(
    "change",
    [
        {"activation": activations.get("relu")},
        {"recurrent_activation": activations.get("hard_sigmoid")},
        {"unroll": True},
        {"use_bias": False},
        {"reset_after": False},
        {"dtype": "bfloat16"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_gate_says_no_for_unsupported_arguments(change):
    arguments = {**SUPPORTED, "use_bias": True, "reset_after": True, "gpu": True, **change}
    assert not cudnn.cudnn_ok(**arguments)
    if "reset_after" not in change:
        arguments["reset_after"] = None
        assert not cudnn.cudnn_ok(**arguments)


def test_gate_says_no_under_xla():
    @tf.function(jit_compile=True)
    def compiled(x):
        ok = cudnn.cudnn_ok(**SUPPORTED, use_bias=True, gpu=True)
        return x + (1.0 if ok else 0.0)

    assert float(compiled(tf.constant(0.0))) == 0.0
    assert cudnn.cudnn_ok(**SUPPORTED, use_bias=True, gpu=True)


# ------------------------------------------------- (d) the cuDNN path equals the generic path
def _emulate(monkeypatch):
    monkeypatch.setattr(tf.raw_ops, "CudnnRNNV3", emulated_cudnn_rnn)
    monkeypatch.setattr(tf.sysconfig, "get_build_info", _build_info(True, False))


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_emulator_matches_keras_generic_loop_through_keras_cudnn_path(
    monkeypatch, kind, masked, go_backwards
):
    """Keras's packing is known to be right on GPUs; so this checks the emulator."""
    _emulate(monkeypatch)
    inputs = _rng(5).normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    mask = RIGHT_PADDED if masked else None
    h0 = _rng(6).normal(size=(BATCH, UNITS)).astype("float32")
    c0 = _rng(7).normal(size=(BATCH, UNITS)).astype("float32")
    layer_class = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    layer = layer_class(
        UNITS, return_sequences=True, return_state=True, go_backwards=go_backwards,
        use_cudnn=False,
    )  # fmt: skip
    layer.build((BATCH, STEPS, FEATURES))
    weights = _weights(4, 8) if kind == "lstm" else _weights(3, 8, gru=True)
    layer.set_weights(list(weights))
    states = [h0, c0] if kind == "lstm" else [h0]
    expected = layer(inputs, initial_state=states, mask=mask)
    if kind == "lstm":
        last, outputs, got_states = keras_rnn._cudnn_lstm(
            inputs, h0, c0, *weights, mask, False, go_backwards, True
        )
    else:
        last, outputs, got_states = keras_rnn._cudnn_gru(
            inputs, h0, *weights, mask, False, go_backwards, True
        )
    for got, want in zip(got_states, expected[1:]):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-5)
    if not masked:
        np.testing.assert_allclose(np.asarray(outputs), np.asarray(expected[0]), atol=1e-5)


def _generic_and_cudnn(kind, mask, go_backwards, return_sequences, zero_output_for_mask):
    """Runs the generic kerascore layer and the cuDNN function on the same weights."""
    inputs = _rng(9).normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    h0 = _rng(10).normal(size=(BATCH, UNITS)).astype("float32")
    c0 = _rng(11).normal(size=(BATCH, UNITS)).astype("float32")
    layer_class = layers.LSTM if kind == "lstm" else layers.GRU
    layer = layer_class(
        UNITS,
        return_sequences=return_sequences,
        return_state=True,
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
        use_cudnn=False,
    )
    layer.build((BATCH, STEPS, FEATURES))
    weights = _weights(4, 12) if kind == "lstm" else _weights(3, 12, gru=True)
    layer.set_weights(list(weights))
    states = [h0, c0] if kind == "lstm" else [h0]
    expected = layer(inputs, initial_state=states, mask=mask)
    arguments = {
        "mask": mask,
        "go_backwards": go_backwards,
        "return_sequences": return_sequences,
        "zero_output_for_mask": zero_output_for_mask,
    }
    tensors = [tf.constant(w) for w in weights]
    if kind == "lstm":
        last, outputs, got_states = cudnn.cudnn_lstm(inputs, h0, c0, *tensors, **arguments)
    else:
        last, outputs, got_states = cudnn.cudnn_gru(inputs, h0, *tensors, **arguments)
    got = [outputs if return_sequences else last, *got_states]
    return [np.asarray(t) for t in got], [np.asarray(t) for t in expected]


CASES = [
    pytest.param(mask, go_backwards, return_sequences, zero, id=f"{name}-{direction}-{ret}")
    for name, mask in (("unmasked", None), ("masked", RIGHT_PADDED))
    for go_backwards, direction in ((False, "forward"), (True, "backwards"))
    for return_sequences, ret in ((True, "sequences"), (False, "last"))
    for zero in ([False, True] if mask is not None else [False])
]


def _assert_cudnn_equals_generic(kind, mask, go_backwards, return_sequences, zero):
    got, expected = _generic_and_cudnn(kind, mask, go_backwards, return_sequences, zero)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=1e-4)


@pytest.mark.parametrize("mask, go_backwards, return_sequences, zero", CASES)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cudnn_path_equals_generic_path_emulated(
    monkeypatch, kind, mask, go_backwards, return_sequences, zero
):
    _emulate(monkeypatch)
    _assert_cudnn_equals_generic(kind, mask, go_backwards, return_sequences, zero)


@needs_gpu
@pytest.mark.parametrize("mask, go_backwards, return_sequences, zero", CASES)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cudnn_path_equals_generic_path_on_gpu(kind, mask, go_backwards, return_sequences, zero):
    _assert_cudnn_equals_generic(kind, mask, go_backwards, return_sequences, zero)


@needs_gpu
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_cudnn_gradients_equal_generic_gradients_on_gpu(kind):
    inputs = tf.constant(_rng(13).normal(size=(BATCH, STEPS, FEATURES)).astype("float32"))
    mask = tf.constant(RIGHT_PADDED)
    weights = _weights(4, 14) if kind == "lstm" else _weights(3, 14, gru=True)
    layer_class = layers.LSTM if kind == "lstm" else layers.GRU
    layer = layer_class(UNITS, return_sequences=True, use_cudnn=False)
    layer.build((BATCH, STEPS, FEATURES))
    layer.set_weights(list(weights))
    variables = [tf.Variable(w) for w in weights]
    h0 = tf.zeros((BATCH, UNITS))
    projection = tf.constant(_rng(15).normal(size=(BATCH, STEPS, UNITS)).astype("float32"))
    with tf.GradientTape() as tape:
        expected = tf.reduce_sum(layer(inputs, mask=mask) * projection)
    expected_grads = tape.gradient(expected, layer.trainable_weights)
    with tf.GradientTape() as tape:
        if kind == "lstm":
            _, outputs, _ = cudnn.cudnn_lstm(
                inputs, h0, h0, *variables, mask=mask, return_sequences=True
            )
        else:
            _, outputs, _ = cudnn.cudnn_gru(
                inputs, h0, *variables, mask=mask, return_sequences=True
            )
        got = tf.reduce_sum(outputs * projection)
    grads = tape.gradient(got, variables)
    np.testing.assert_allclose(float(got), float(expected), atol=1e-4)
    for g, e in zip(grads, expected_grads):
        np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=1e-4)


# ------------------------------------------------- (e) the layers, on an emulated GPU
LAYERS = {"lstm": layers.LSTM, "gru": layers.GRU}


@pytest.fixture
def emulated_gpu(monkeypatch):
    """A GPU that `cudnn.gpu_available` reports and whose `CudnnRNNV3` is the emulator;
    returns the list of the op's runs (its `rnn_mode` each time it computes, not traces)."""
    runs = []
    emulate = _emulate_in_numpy

    def counting(*args):
        runs.append(args[5])
        return emulate(*args)

    monkeypatch.setitem(globals(), "_emulate_in_numpy", counting)
    monkeypatch.setattr(cudnn, "gpu_available", lambda: True)
    monkeypatch.setattr(tf.raw_ops, "CudnnRNNV3", emulated_cudnn_rnn)
    monkeypatch.setattr(tf.sysconfig, "get_build_info", _build_info(True, False))
    return runs


def _pair(kind, seed=16, **kwargs):
    """The same layer with `use_cudnn="auto"` and with False, sharing weights."""
    pair = []
    for use_cudnn in ("auto", False):
        layer = LAYERS[kind](UNITS, use_cudnn=use_cudnn, **kwargs)
        layer.build((BATCH, STEPS, FEATURES))
        pair.append(layer)
    pair[1].set_weights(pair[0].get_weights())
    return pair


def _call_both(pair, compiled=False, **call_kwargs):
    inputs = tf.constant(_rng(17).normal(size=(BATCH, STEPS, FEATURES)).astype("float32"))
    results = []
    for layer in pair:
        # Eager random ops draw anew on every call unless the global seed is set again.
        tf.random.set_seed(0)
        call = tf.function(layer.__call__) if compiled else layer.__call__
        results.append([np.asarray(t) for t in tf.nest.flatten(call(inputs, **call_kwargs))])
    return results


def _assert_close(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=1e-4)


LAYER_CASES = [
    pytest.param(
        {"return_sequences": ret, "return_state": True, "go_backwards": back}, mask,
        id=f"{mask_name}-{'backwards' if back else 'forward'}-{'sequences' if ret else 'last'}",
    )
    for mask_name, mask in (("unmasked", None), ("masked", RIGHT_PADDED))
    for back in (False, True)
    for ret in (True, False)
]  # fmt: skip


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("kwargs, mask", LAYER_CASES)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_takes_cudnn_and_equals_generic(emulated_gpu, kind, kwargs, mask, compiled):
    got, expected = _call_both(_pair(kind, **kwargs), compiled, mask=mask)
    _assert_close(got, expected)
    assert emulated_gpu == [kind]


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("mask_name", ["left_padded", "hole", "fully_masked_row"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_falls_back_on_masks_cudnn_cannot_run(emulated_gpu, kind, mask_name, compiled):
    pair = _pair(kind, return_sequences=True, return_state=True)
    got, expected = _call_both(pair, compiled, mask=MASKS[mask_name])
    _assert_close(got, expected)
    assert emulated_gpu == []


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_dropout_in_training_equals_generic(emulated_gpu, kind):
    pair = _pair(kind, return_sequences=True, dropout=0.5, seed=3)
    got, expected = _call_both(pair, training=True)
    _assert_close(got, expected)
    assert emulated_gpu == [kind]
    assert not np.allclose(got[0], _call_both(pair)[0][0])


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_layer_takes_cudnn_both_ways(emulated_gpu, kind, compiled):
    pair = []
    for use_cudnn in ("auto", False):
        layer = layers.Bidirectional(
            LAYERS[kind](UNITS, return_sequences=True, use_cudnn=use_cudnn)
        )
        layer.build((BATCH, STEPS, FEATURES))
        pair.append(layer)
    pair[1].set_weights(pair[0].get_weights())
    got, expected = _call_both(pair, compiled, mask=RIGHT_PADDED)
    _assert_close(got, expected)
    assert emulated_gpu == [kind, kind]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_stateful_layer_carries_cudnn_states(emulated_gpu, kind):
    pair = []
    for use_cudnn in ("auto", False):
        layer = LAYERS[kind](UNITS, stateful=True, use_cudnn=use_cudnn)
        layer.build((BATCH, STEPS, FEATURES))
        pair.append(layer)
    pair[1].set_weights(pair[0].get_weights())
    first = _call_both(pair)
    second = _call_both(pair)
    _assert_close(*first)
    _assert_close(*second)
    assert not np.allclose(first[0][0], second[0][0])
    assert emulated_gpu == [kind, kind]


@pytest.mark.parametrize(
    "kind, kwargs",
    [
        ("lstm", {"activation": "relu"}),
        ("lstm", {"recurrent_dropout": 0.2}),
        ("lstm", {"use_bias": False}),
        ("gru", {"reset_after": False}),
        ("gru", {"recurrent_activation": "hard_sigmoid"}),
        ("gru", {"unroll": True}),
    ],
)
def test_layer_keeps_the_loop_for_arguments_cudnn_lacks(emulated_gpu, kind, kwargs):
    got, expected = _call_both(_pair(kind, return_sequences=True, **kwargs), training=True)
    _assert_close(got, expected)
    assert emulated_gpu == []
    layer = LAYERS[kind](UNITS, use_cudnn=True, **kwargs)
    with pytest.raises(ValueError, match="use_cudnn=True"):
        layer(np.zeros((BATCH, STEPS, FEATURES), "float32"))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_keeps_the_loop_under_xla(emulated_gpu, kind):
    pair = _pair(kind, return_sequences=True)
    inputs = tf.constant(_rng(18).normal(size=(BATCH, STEPS, FEATURES)).astype("float32"))
    got = tf.function(pair[0].__call__, jit_compile=True)(inputs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(pair[1](inputs)), atol=1e-4)
    assert emulated_gpu == []


@pytest.mark.skipif(cudnn.gpu_available(), reason="checks the answer on a machine without GPU")
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_use_cudnn_true_without_gpu_raises_and_auto_runs_the_loop(kind):
    inputs = np.zeros((BATCH, STEPS, FEATURES), "float32")
    with pytest.raises(ValueError, match="use_cudnn='auto'"):
        LAYERS[kind](UNITS, use_cudnn=True)(inputs)
    assert LAYERS[kind](UNITS)(inputs).shape == (BATCH, UNITS)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_use_cudnn_true_with_an_unsupported_mask_raises(emulated_gpu, kind):
    layer = LAYERS[kind](UNITS, use_cudnn=True)
    inputs = tf.zeros((BATCH, STEPS, FEATURES))
    mask = tf.constant(MASKS["left_padded"])
    with pytest.raises(ValueError, match="right-padded"):
        layer(inputs, mask=mask)
    with pytest.raises(tf.errors.InvalidArgumentError, match="right-padded"):
        tf.function(layer.__call__)(inputs, mask=mask)


@pytest.mark.parametrize("use_cudnn", ["auto", True, False])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_use_cudnn_round_trips_through_the_config(kind, use_cudnn):
    layer = LAYERS[kind](UNITS, use_cudnn=use_cudnn)
    config = layer.get_config()
    assert config["use_cudnn"] == use_cudnn
    assert LAYERS[kind].from_config(config).use_cudnn == use_cudnn
    keras_class = keras.layers.LSTM if kind == "lstm" else keras.layers.GRU
    assert keras_class.from_config(config).use_cudnn == use_cudnn


@needs_gpu
@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("kwargs, mask", LAYER_CASES)
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_on_gpu_equals_generic(kind, kwargs, mask, compiled):
    got, expected = _call_both(_pair(kind, **kwargs), compiled, mask=mask)
    _assert_close(got, expected)


def _assert_gradients_equal_generic(kind, mask_name):
    """In a graph, where a mask goes through `tf.cond`."""
    pair = _pair(kind, return_sequences=True, go_backwards=True)
    inputs = tf.constant(_rng(19).normal(size=(BATCH, STEPS, FEATURES)).astype("float32"))
    mask = tf.constant(MASKS[mask_name])
    projection = tf.constant(_rng(20).normal(size=(BATCH, STEPS, UNITS)).astype("float32"))

    @tf.function
    def gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(layer(inputs, mask=mask) * projection)
        return tape.gradient(loss, [inputs, *layer.trainable_weights])

    for got, expected in zip(gradients(pair[0]), gradients(pair[1])):
        np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=1e-4)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_gradients_through_the_fallback_equal_generic(emulated_gpu, kind):
    """The emulator has no gradient: a mask cuDNN cannot run must train through the loop."""
    _assert_gradients_equal_generic(kind, "left_padded")
    assert emulated_gpu == []


@needs_gpu
@pytest.mark.parametrize("mask_name", ["right_padded", "left_padded"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_gradients_on_gpu_equal_generic(kind, mask_name):
    _assert_gradients_equal_generic(kind, mask_name)


@needs_gpu
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_fit_on_gpu_equals_generic(kind):
    """A compiled training step (graph, masks through `tf.cond`, gradients) both ways."""
    import kerascore

    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0], [6, 6, 0, 0, 0]])
    targets = _rng(21).normal(size=(4, 1)).astype("float32")
    histories, weights = [], []
    for use_cudnn in ("auto", False):
        kerascore.utils.set_random_seed(0)
        model = kerascore.Sequential(
            [
                layers.Embedding(10, FEATURES, mask_zero=True),
                LAYERS[kind](UNITS, use_cudnn=use_cudnn),
                layers.Dense(1),
            ]
        )
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(ids, targets, epochs=3, batch_size=4, shuffle=False, verbose=0)
        histories.append(history.history["loss"])
        weights.append(model.get_weights())
    np.testing.assert_allclose(histories[0], histories[1], atol=1e-4)
    for got, expected in zip(*weights):
        np.testing.assert_allclose(got, expected, atol=1e-4)

"""Fixtures of the layer tests: Keras 3 as the reference (imported in tests only) and a
parity check that builds the same layer in both libraries, copies Keras's weights into ours
and compares outputs and gradients.

Test functions take them by name: `keras`, `random_inputs`, `assert_keras_parity`.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras as keras_module  # noqa: E402


def _random_inputs(shape, seed=0):
    """Float32 normal inputs of `shape`, or a list of them for a list of shapes."""
    if isinstance(shape, list):
        return [_random_inputs(s, seed + i) for i, s in enumerate(shape)]
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _gradients(layer, inputs, projections, call_kwargs):
    """Calls `layer`; returns its flat outputs and the gradients of the sum of each output
    times its projection with respect to the inputs and every trainable weight."""
    flat_inputs = [tf.constant(x) for x in tf.nest.flatten(inputs)]
    with tf.GradientTape() as tape:
        tape.watch(flat_inputs)
        outputs = layer(tf.nest.pack_sequence_as(inputs, flat_inputs), **call_kwargs)
        flat = [tf.convert_to_tensor(o) for o in tf.nest.flatten(outputs)]
        loss = sum(tf.reduce_sum(o * p) for o, p in zip(flat, projections))
    weights = list(layer.trainable_weights)
    grads = tape.gradient(loss, flat_inputs + weights)
    return [np.asarray(o) for o in flat], grads


def _assert_keras_parity(ours, theirs, inputs, call_kwargs=None, atol=1e-5, check_grads=True):
    """Asserts that `ours` and the Keras layer `theirs` agree on `inputs`.

    Both layers are built on `inputs`, Keras's weights are copied into ours (so weight order
    and shapes must match), then the outputs, the gradients with respect to the inputs and
    the gradients with respect to every trainable weight must agree to `atol`.

    Layers with several outputs (RNN states) are compared output by output; `call_kwargs`
    (e.g. `{"mask": mask}`) go to both calls.

    Returns:
        Our output as a NumPy array, or a list of them for several outputs.
    """
    call_kwargs = dict(call_kwargs or {})
    tensors = tf.nest.map_structure(tf.constant, inputs)
    reference = theirs(tensors, **call_kwargs)
    ours(tensors, **call_kwargs)
    their_weights = theirs.get_weights()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in their_weights], (
        "weight shapes differ: "
        f"{[w.shape for w in ours.get_weights()]} vs {[w.shape for w in their_weights]}"
    )
    ours.set_weights(their_weights)
    rng = np.random.default_rng(7)
    projections = [
        tf.constant(rng.normal(size=tuple(r.shape)).astype("float32"))
        for r in tf.nest.flatten(reference)
    ]
    our_out, our_grads = _gradients(ours, inputs, projections, call_kwargs)
    their_out, their_grads = _gradients(theirs, inputs, projections, call_kwargs)
    assert len(our_out) == len(their_out), "different numbers of outputs"
    for index, (mine, reference_out) in enumerate(zip(our_out, their_out)):
        np.testing.assert_allclose(
            mine, reference_out, atol=atol, rtol=1e-5, err_msg=f"output {index} differs"
        )
    if check_grads:
        assert len(our_grads) == len(their_grads), "different numbers of trainable weights"
        for index, (mine, reference_grad) in enumerate(zip(our_grads, their_grads)):
            assert (mine is None) == (reference_grad is None), f"gradient {index}: None mismatch"
            if mine is not None:
                np.testing.assert_allclose(
                    np.asarray(mine),
                    np.asarray(reference_grad),
                    atol=atol,
                    rtol=1e-5,
                    err_msg=f"gradient {index} differs",
                )
    return our_out[0] if len(our_out) == 1 else our_out


@pytest.fixture
def keras():
    """The Keras 3 package, the reference implementation."""
    return keras_module


@pytest.fixture
def random_inputs():
    """`random_inputs(shape, seed=0)`: float32 normal arrays (a list for a list of shapes)."""
    return _random_inputs


@pytest.fixture
def assert_keras_parity():
    """`assert_keras_parity(ours, theirs, inputs, call_kwargs=None, atol=1e-5)`."""
    return _assert_keras_parity

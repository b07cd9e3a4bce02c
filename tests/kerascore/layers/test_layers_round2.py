"""Layers of Keras compatibility round two: adaptive pooling, EinsumDense,
GroupQueryAttention, ReversibleEmbedding, Wrapper, SpectralNormalization and ConvLSTM —
Keras 3 parity with copied weights, configs and saving in models."""

import json

import numpy as np
import pytest
import tensorflow as tf

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test

RNG = np.random.default_rng(0)


def _round_trip(model, inputs, tmp_path, name="model"):
    """Saves `model` as a .keras archive, loads it, and checks it predicts the same."""
    expected = model.predict(inputs, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = kerascore.saving.load_model(path)
    for mine, theirs in zip(
        tf.nest.flatten(loaded.predict(inputs, verbose=0)), tf.nest.flatten(expected)
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    return loaded


# ------------------------------------------------------------------ adaptive pooling
POOLING_CASES = [
    (1, (2, 11, 3), 4),
    (1, (2, 5, 3), 7),
    (2, (2, 9, 7, 3), (4, 3)),
    (2, (2, 8, 8, 2), 3),
    (3, (2, 7, 6, 5, 2), (3, 2, 4)),
]


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank, shape, output_size", POOLING_CASES)
def test_adaptive_pooling_matches_keras(
    keras, assert_keras_parity, kind, data_format, rank, shape, output_size
):
    name = f"Adaptive{kind}Pooling{rank}D"
    ours = getattr(layers, name)(output_size, data_format=data_format)
    theirs = getattr(keras.layers, name)(output_size, data_format=data_format)
    inputs = RNG.normal(size=shape).astype("float32")
    result = assert_keras_parity(ours, theirs, inputs)
    assert result.shape == ours.compute_output_shape(shape)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_adaptive_pooling_generic_and_saving(rank, tmp_path):
    shape = (2, *([6] * rank), 3)
    for kind in ("Average", "Max"):
        cls = getattr(layers, f"Adaptive{kind}Pooling{rank}D")
        run_layer_test(
            cls,
            {"output_size": 2},
            input_shape=shape,
            expected_output_shape=(2, *([2] * rank), 3),
        )
        inputs = kerascore.Input(shape[1:])
        model = kerascore.Model(inputs, cls(3)(inputs))
        _round_trip(model, RNG.normal(size=shape).astype("float32"), tmp_path)


def test_adaptive_pooling_rejects_bad_sizes():
    with pytest.raises(ValueError, match="output_size=\\(2, 2\\)"):
        layers.AdaptiveAveragePooling1D((2, 2))
    with pytest.raises(ValueError, match="output_size=0"):
        layers.AdaptiveMaxPooling2D(0)
    with pytest.raises(ValueError, match="statically known"):
        tf.function(
            lambda x: layers.AdaptiveAveragePooling1D(2)(x),
            input_signature=[tf.TensorSpec((None, None, 3))],
        ).get_concrete_function()


# ------------------------------------------------------------------ EinsumDense
EINSUM_CASES = [
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 5, 3)),
    ("abc,cde->abde", (None, 4, 6), "de", (2, 5, 3)),
    ("abc,cde->abde", (5, 4, 6), "e", (2, 5, 3)),
    ("...b,bc->...c", 4, "c", (2, 5, 3)),
    ("ab...,bc->ac...", 4, None, (2, 3, 5)),
    ("abcd,cde->abe", (None, 4), "e", (2, 5, 3, 2)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape", EINSUM_CASES)
def test_einsum_dense_matches_keras(
    keras, assert_keras_parity, equation, output_shape, bias_axes, input_shape
):
    ours = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh")
    theirs = keras.layers.EinsumDense(
        equation, output_shape, bias_axes=bias_axes, activation="tanh"
    )
    inputs = RNG.normal(size=input_shape).astype("float32")
    result = assert_keras_parity(ours, theirs, inputs)
    assert ours.compute_output_shape(input_shape) == result.shape
    # Keras leaves the axes given as None undefined; ours takes them from the input.
    for mine, reference in zip(result.shape, theirs.compute_output_shape(input_shape)):
        assert reference is None or mine == reference


def test_einsum_dense_initializer_fans_match_keras(keras):
    ours = layers.EinsumDense("abc,cde->abde", (None, 16, 32), kernel_initializer="he_normal")
    theirs = keras.layers.EinsumDense(
        "abc,cde->abde", (None, 16, 32), kernel_initializer="he_normal"
    )
    ours.build((2, 5, 64))
    theirs.build((2, 5, 64))
    # He-normal over fan-in 64 (the contracted axis), not 64 * 16.
    assert np.std(ours.kernel.numpy()) == pytest.approx(np.std(theirs.kernel.numpy()), rel=0.1)
    assert np.std(ours.kernel.numpy()) == pytest.approx(np.sqrt(2 / 64) * 0.88, rel=0.15)


def test_einsum_dense_generic_and_saving(tmp_path):
    run_layer_test(
        layers.EinsumDense,
        {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"},
        input_shape=(2, 4, 5),
        expected_output_shape=(2, 4, 2, 3),
        expected_num_trainable_weights=2,
    )
    inputs = kerascore.Input((4, 5))
    layer = layers.EinsumDense(
        "abc,cd->abd", (None, 3), bias_axes="d", kernel_regularizer="l2", activation="relu"
    )
    model = kerascore.Model(inputs, layer(inputs))
    _round_trip(model, RNG.normal(size=(3, 4, 5)).astype("float32"), tmp_path)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.EinsumDense("ab->b", 3), "Invalid einsum equation 'ab->b'"),
        (lambda: layers.EinsumDense("ab,bc->ac", 3, bias_axes="x").build((2, 4)), "'x'"),
        (lambda: layers.EinsumDense("ab,bcx->ac", 3).build((2, 4)), "'x'"),
        (lambda: layers.EinsumDense("ab,bc->ac", 3, lora_rank=2), "lora_rank=2"),
    ],
)
def test_einsum_dense_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------------ GroupQueryAttention
def _copy_and_compare(ours, theirs, call, atol=1e-5):
    theirs_out = call(theirs)
    call(ours)
    ours.set_weights(theirs.get_weights())
    for mine, reference in zip(tf.nest.flatten(call(ours)), tf.nest.flatten(theirs_out)):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(reference), atol=atol)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"use_gate": True},
        {"sliding_window": 2},
        {"use_bias": False},
        {"num_key_value_heads": 1},
        {"num_key_value_heads": 4},
    ],
)
def test_group_query_attention_matches_keras(keras, kwargs):
    kwargs = {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, **kwargs}
    query = RNG.normal(size=(2, 5, 8)).astype("float32")
    value = RNG.normal(size=(2, 6, 8)).astype("float32")
    key = RNG.normal(size=(2, 6, 8)).astype("float32")
    mask = RNG.uniform(size=(2, 5, 6)) > 0.3
    for call in (
        lambda layer: layer(query, value),
        lambda layer: layer(query, value, key, attention_mask=mask),
        lambda layer: layer(query, query, use_causal_mask=True),
        lambda layer: layer(query, value, return_attention_scores=True),
    ):
        _copy_and_compare(
            layers.GroupQueryAttention(**kwargs), keras.layers.GroupQueryAttention(**kwargs), call
        )


def test_group_query_attention_gradients_and_masks_match_keras(keras):
    query = tf.constant(RNG.normal(size=(2, 5, 8)).astype("float32"))
    ours = layers.GroupQueryAttention(4, 4, 2)
    theirs = keras.layers.GroupQueryAttention(4, 4, 2)
    theirs(query, query)
    ours(query, query)
    ours.set_weights(theirs.get_weights())
    query_mask = tf.constant([[True] * 5, [True, True, True, False, False]])
    results = []
    for layer in (ours, theirs):
        with tf.GradientTape() as tape:
            tape.watch(query)
            output = layer(query, query, query_mask=query_mask, value_mask=query_mask)
            loss = tf.reduce_sum(output * output)
        results.append((output, tape.gradient(loss, [query, *layer.trainable_weights])))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-5)
    for mine, reference in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(mine, reference, atol=1e-5)


def test_group_query_attention_in_model_saves_and_loads(tmp_path):
    inputs = kerascore.Input((5, 8))
    attention = layers.GroupQueryAttention(4, 4, 2, dropout=0.1, name="gqa")
    outputs = attention(inputs, inputs, use_causal_mask=True)
    model = kerascore.Model(inputs, layers.Dense(1)(outputs))
    model.compile(optimizer="adam", loss="mse")
    data = RNG.normal(size=(4, 5, 8)).astype("float32")
    model.fit(data, RNG.normal(size=(4, 5, 1)), epochs=1, verbose=0)
    loaded = _round_trip(model, data, tmp_path)
    assert loaded.get_layer("gqa").get_config() == attention.get_config()
    assert layers.GroupedQueryAttention is layers.GroupQueryAttention


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.GroupQueryAttention(4, 6, 4), "num_key_value_heads=4"),
        (lambda: layers.GroupQueryAttention(0, 4, 2), "head_dim=0"),
        (lambda: layers.GroupQueryAttention(4, 4, 2, dropout=1.5), "dropout=1.5"),
        (lambda: layers.GroupQueryAttention(4, 4, 2, flash_attention=True), "flash_attention"),
        (lambda: layers.GroupQueryAttention(4, 4, 2, sliding_window=0), "sliding_window=0"),
    ],
)
def test_group_query_attention_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------------ ReversibleEmbedding
@pytest.mark.parametrize(
    "kwargs", [{}, {"tie_weights": False}, {"logit_soft_cap": 2.0}, {"mask_zero": True}]
)
def test_reversible_embedding_matches_keras(keras, kwargs):
    ids = np.array([[1, 2, 0], [4, 9, 3]])
    ours = layers.ReversibleEmbedding(10, 4, **kwargs)
    theirs = keras.layers.ReversibleEmbedding(10, 4, **kwargs)
    hidden = RNG.normal(size=(2, 3, 4)).astype("float32")
    _copy_and_compare(ours, theirs, lambda layer: layer(ids))
    np.testing.assert_allclose(ours(hidden, reverse=True), theirs(hidden, reverse=True), atol=1e-5)
    assert ours.compute_output_shape((2, 3, 4), reverse=True) == (2, 3, 10)
    if kwargs.get("mask_zero"):
        np.testing.assert_array_equal(ours(ids)._keras_mask, ids != 0)


def test_reversible_embedding_language_model_saves_and_loads(tmp_path):
    embedding = layers.ReversibleEmbedding(12, 6, tie_weights=False, name="embed")
    inputs = kerascore.Input((4,), dtype="int32")
    hidden = layers.Dense(6)(embedding(inputs))
    logits = embedding(hidden, reverse=True)
    model = kerascore.Model(inputs, logits)
    assert len(embedding.weights) == 2
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    ids = RNG.integers(0, 12, size=(3, 4))
    model.fit(ids, ids, epochs=1, verbose=0)
    _round_trip(model, ids, tmp_path)


# ------------------------------------------------------------------ Wrapper, SpectralNorm
def test_wrapper_subclass_wraps_and_serializes(tmp_path):
    @kerascore.saving.register_keras_serializable(package="round2_test")
    class Doubled(layers.Wrapper):
        def call(self, inputs):
            return 2 * self.layer(inputs)

    wrapper = Doubled(layers.Dense(3))
    data = RNG.normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(wrapper(data), 2 * wrapper.layer(data), rtol=1e-6)
    assert len(wrapper.trainable_weights) == 2
    config = json.loads(json.dumps(wrapper.get_config()))
    assert type(Doubled.from_config(config).layer) is layers.Dense
    inputs = kerascore.Input((4,))
    _round_trip(kerascore.Model(inputs, Doubled(layers.Dense(2))(inputs)), data, tmp_path)
    with pytest.raises(ValueError, match="layer=3"):
        layers.Wrapper(3)


@pytest.mark.parametrize(
    "make_layers, shape",
    [
        (lambda k: k.layers.Dense(4), (3, 5)),
        (lambda k: k.layers.Conv2D(4, 3), (2, 7, 7, 3)),
        (lambda k: k.layers.Embedding(10, 4), (2, 3)),
    ],
)
def test_spectral_normalization_matches_keras(keras, make_layers, shape):
    # Seeded: how close six power-iteration steps come to the top singular value depends on
    # the initial kernel and vector (the embedding's 10 x 4 kernel: 1.19 for some seeds).
    kerascore.utils.set_random_seed(7)
    ours = layers.SpectralNormalization(make_layers(kerascore), power_iterations=2)
    theirs = keras.layers.SpectralNormalization(make_layers(keras), power_iterations=2)
    if len(shape) == 2 and shape[1] == 3:
        inputs = RNG.integers(0, 10, size=shape)
    else:
        inputs = RNG.normal(size=shape).astype("float32")
    _copy_and_compare(ours, theirs, lambda layer: layer(inputs, training=False))
    for _ in range(3):
        np.testing.assert_allclose(
            ours(inputs, training=True), theirs(inputs, training=True), atol=1e-5
        )
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, atol=1e-5)
    kernel = ours.kernel.numpy().reshape(-1, ours.kernel.shape[-1])
    # A few power-iteration steps bring the largest singular value close to 1.
    assert np.linalg.svd(kernel, compute_uv=False)[0] == pytest.approx(1.0, rel=0.25)


def test_spectral_normalization_trains_and_saves(tmp_path):
    inputs = kerascore.Input((5,))
    normalized = layers.SpectralNormalization(layers.Dense(3), name="spectral")
    model = kerascore.Model(inputs, normalized(inputs))
    model.compile(optimizer="sgd", loss="mse")
    data = RNG.normal(size=(8, 5)).astype("float32")
    model.fit(data, RNG.normal(size=(8, 3)), epochs=2, verbose=0)
    assert len(normalized.non_trainable_weights) == 1
    _round_trip(model, data, tmp_path)
    with pytest.raises(ValueError, match="power_iterations=0"):
        layers.SpectralNormalization(layers.Dense(3), power_iterations=0)
    with pytest.raises(ValueError, match="Flatten"):
        layers.SpectralNormalization(layers.Flatten())(data)


# ------------------------------------------------------------------ ConvLSTM
CONV_LSTM_CASES = [
    (1, (2, 4, 7, 3), {"return_sequences": True, "padding": "same"}),
    (1, (2, 4, 7, 3), {"strides": 2, "go_backwards": True, "return_sequences": True}),
    (2, (2, 3, 6, 5, 2), {}),
    (2, (2, 3, 6, 5, 2), {"return_state": True, "dilation_rate": 2, "padding": "same"}),
    (2, (2, 3, 2, 6, 5), {"data_format": "channels_first", "return_sequences": True}),
    (2, (2, 3, 6, 5, 2), {"unit_forget_bias": False, "activation": "relu", "use_bias": False}),
    (3, (1, 3, 4, 5, 4, 2), {"return_sequences": True, "padding": "same"}),
]


@pytest.mark.parametrize("rank, shape, kwargs", CONV_LSTM_CASES)
def test_conv_lstm_matches_keras(keras, assert_keras_parity, rank, shape, kwargs):
    ours = getattr(layers, f"ConvLSTM{rank}D")(3, 2, **kwargs)
    theirs = getattr(keras.layers, f"ConvLSTM{rank}D")(3, 2, **kwargs)
    inputs = RNG.normal(size=shape).astype("float32")
    result = assert_keras_parity(ours, theirs, inputs, atol=1e-5)
    expected_shapes = ours.compute_output_shape(shape)
    if kwargs.get("return_state"):
        assert [r.shape for r in result] == [tuple(s) for s in expected_shapes]
    else:
        assert result.shape == expected_shapes


def test_conv_lstm_mask_and_initial_state_match_keras(keras):
    inputs = RNG.normal(size=(2, 4, 5, 5, 2)).astype("float32")
    mask = np.array([[True, True, True, True], [True, True, False, False]])
    ours = layers.ConvLSTM2D(3, 3, padding="same", return_state=True)
    theirs = keras.layers.ConvLSTM2D(3, 3, padding="same", return_state=True)
    _copy_and_compare(ours, theirs, lambda layer: layer(inputs, mask=mask))
    states = [RNG.normal(size=(2, 5, 5, 3)).astype("float32") for _ in range(2)]
    _copy_and_compare(ours, theirs, lambda layer: layer(inputs, initial_state=states))


def test_conv_lstm_bias_initialization_and_dropout():
    layer = layers.ConvLSTM1D(2, 3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    inputs = RNG.normal(size=(2, 3, 6, 2)).astype("float32")
    inference = layer(inputs)
    np.testing.assert_array_equal(layer.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(layer(inputs, training=False), inference)
    assert not np.allclose(layer(inputs, training=True), inference)


def test_conv_lstm_generic_trains_and_saves(tmp_path):
    run_layer_test(
        layers.ConvLSTM2D,
        {"filters": 2, "kernel_size": 3, "padding": "same"},
        input_shape=(2, 3, 5, 5, 2),
        expected_output_shape=(2, 5, 5, 2),
        expected_num_trainable_weights=3,
    )
    inputs = kerascore.Input((3, 6, 2))
    outputs = layers.ConvLSTM1D(4, 3, return_sequences=True, recurrent_dropout=0.1)(inputs)
    model = kerascore.Model(inputs, layers.Dense(1)(outputs))
    model.compile(optimizer="adam", loss="mse")
    data = RNG.normal(size=(4, 3, 6, 2)).astype("float32")
    model.fit(data, RNG.normal(size=(4, 3, 4, 1)), epochs=1, verbose=0)
    _round_trip(model, data, tmp_path)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.ConvLSTM2D(0, 3), "filters=0"),
        (lambda: layers.ConvLSTM2D(2, (3, 3, 3)), "kernel_size=\\(3, 3, 3\\)"),
        (lambda: layers.ConvLSTM2D(2, 3, padding="full"), "padding='full'"),
        (lambda: layers.ConvLSTM2D(2, 3, stateful=True), "stateful=True"),
        (lambda: layers.ConvLSTM2D(2, 3, dropout=1.0), "dropout=1.0"),
    ],
)
def test_conv_lstm_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()

"""Attention layers: the generic layer test, Keras 3 parity of outputs and gradients (attention,
causal and padding masks, returned scores), and use inside functional models."""

import os

import numpy as np
import pytest
import tensorflow as tf

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

QUERY_SHAPE, VALUE_SHAPE = (2, 4, 6), (2, 5, 6)


def _inputs(shape, seed):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _run(layer, args, call_kwargs):
    flat = [tf.constant(a) for a in tf.nest.flatten(args)]
    with tf.GradientTape() as tape:
        tape.watch(flat)
        outputs = layer(*tf.nest.pack_sequence_as(args, flat), **call_kwargs)
        results = [tf.convert_to_tensor(o) for o in tf.nest.flatten(outputs)]
        rng = np.random.default_rng(7)
        loss = sum(
            tf.reduce_sum(o * rng.normal(size=tuple(o.shape)).astype("float32")) for o in results
        )
    grads = tape.gradient(loss, [*flat, *layer.trainable_weights])
    return [np.asarray(o) for o in results], [np.asarray(g) for g in grads]


def assert_parity(ours, theirs, args, call_kwargs=None, atol=1e-5):
    """Builds both on `args` (positional call arguments), copies Keras's weights into ours and
    compares every output and the gradients w.r.t. the inputs and every weight."""
    call_kwargs = dict(call_kwargs or {})
    theirs(*args)
    ours(*args)
    their_weights = theirs.get_weights()
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in their_weights]
    ours.set_weights(their_weights)
    our_outputs, our_grads = _run(ours, args, call_kwargs)
    their_outputs, their_grads = _run(theirs, args, call_kwargs)
    assert len(our_outputs) == len(their_outputs)
    for mine, reference in zip(our_outputs, their_outputs):
        np.testing.assert_allclose(mine, reference, atol=atol, err_msg="outputs differ")
    for index, (mine, reference) in enumerate(zip(our_grads, their_grads)):
        np.testing.assert_allclose(mine, reference, atol=atol, err_msg=f"gradient {index}")
    return our_outputs


# ----------------------------------------------------------------- generic layer test
def test_multi_head_attention_contract():
    run_layer_test(
        layers.MultiHeadAttention,
        {"num_heads": 2, "key_dim": 3},
        input_shape=[QUERY_SHAPE, VALUE_SHAPE],
        expected_output_shape=QUERY_SHAPE,
        expected_num_trainable_weights=8,
    )


@pytest.mark.parametrize(
    "layer_cls, kwargs, weights",
    [
        (layers.Attention, {"use_scale": True, "score_mode": "concat"}, 2),
        (layers.AdditiveAttention, {}, 1),
    ],
)
def test_attention_contract(layer_cls, kwargs, weights):
    run_layer_test(
        layer_cls,
        kwargs,
        input_shape=[QUERY_SHAPE, VALUE_SHAPE],
        expected_output_shape=QUERY_SHAPE,
        expected_num_trainable_weights=weights,
    )


# ----------------------------------------------------------------- MultiHeadAttention parity
def _attention_mask(seed=3):
    mask = np.random.default_rng(seed).random((2, 4, 5)) > 0.3
    mask[:, :, 0] = True
    return mask


@pytest.mark.parametrize(
    "config, call_kwargs",
    [
        ({"num_heads": 2, "key_dim": 3}, {}),
        ({"num_heads": 2, "key_dim": 3, "value_dim": 4, "output_shape": 7}, {"mask": True}),
        ({"num_heads": 3, "key_dim": 2, "use_bias": False}, {"mask": True, "scores": True}),
        ({"num_heads": 2, "key_dim": 3, "dropout": 0.5}, {"mask": True, "scores": True}),
    ],
    ids=["plain", "value_dim_output_shape_mask", "no_bias_scores", "dropout_inference"],
)
def test_multi_head_attention_parity(config, call_kwargs):
    kwargs = {}
    if call_kwargs.get("mask"):
        kwargs["attention_mask"] = _attention_mask()
    if call_kwargs.get("scores"):
        kwargs["return_attention_scores"] = True
    outputs = assert_parity(
        layers.MultiHeadAttention(**config),
        keras.layers.MultiHeadAttention(**config),
        [_inputs(QUERY_SHAPE, 0), _inputs(VALUE_SHAPE, 1)],
        kwargs,
    )
    if call_kwargs.get("scores"):
        scores = outputs[1]
        assert scores.shape == (2, config["num_heads"], 4, 5)
        np.testing.assert_allclose(scores.sum(-1), 1.0, atol=1e-5)
        assert np.all(scores[np.broadcast_to(~_attention_mask()[:, None], scores.shape)] == 0)


def test_multi_head_attention_causal_mask_parity():
    sequence = _inputs((2, 5, 6), 2)
    config = {"num_heads": 2, "key_dim": 3}
    outputs = assert_parity(
        layers.MultiHeadAttention(**config),
        keras.layers.MultiHeadAttention(**config),
        [sequence, sequence],
        {"use_causal_mask": True, "return_attention_scores": True},
    )
    assert np.all(np.triu(outputs[1][0, 0], k=1) == 0)
    combined = np.random.default_rng(0).random((2, 5, 5)) > 0.2
    combined[:, :, 0] = True
    assert_parity(
        layers.MultiHeadAttention(**config),
        keras.layers.MultiHeadAttention(**config),
        [sequence, sequence],
        {"use_causal_mask": True, "attention_mask": combined},
    )


def test_multi_head_attention_key_and_attention_axes_parity():
    config = {"num_heads": 2, "key_dim": 3}
    assert_parity(
        layers.MultiHeadAttention(**config),
        keras.layers.MultiHeadAttention(**config),
        [_inputs(QUERY_SHAPE, 0), _inputs(VALUE_SHAPE, 1), _inputs((2, 5, 3), 2)],
    )
    config = {"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}
    assert_parity(
        layers.MultiHeadAttention(**config),
        keras.layers.MultiHeadAttention(**config),
        [_inputs((2, 3, 2, 4), 0), _inputs((2, 3, 2, 4), 1)],
    )


def test_multi_head_attention_uses_embedding_masks_like_keras():
    ids = np.array([[4, 2, 7, 0, 0], [3, 0, 0, 0, 0]])

    def build(lib):
        tokens = lib.Input((5,), dtype="int32")
        embedded = lib.layers.Embedding(9, 6, mask_zero=True)(tokens)
        attended = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3)(embedded, embedded)
        pooled = lib.layers.GlobalAveragePooling1D()(attended)
        return lib.Model(tokens, pooled)

    ours, theirs = build(kerascore), build(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0), atol=1e-5
    )
    embedding, attention = ours.layers[1], ours.layers[2]
    embedded = embedding(ids)
    np.testing.assert_array_equal(np.asarray(attention(embedded, embedded)._keras_mask), ids != 0)


def test_multi_head_attention_weight_layout():
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4)
    layer(_inputs(QUERY_SHAPE, 0), _inputs(VALUE_SHAPE, 1))
    assert [w.shape for w in layer.get_weights()] == [
        (6, 2, 3),
        (2, 3),
        (6, 2, 3),
        (2, 3),
        (6, 2, 4),
        (2, 4),
        (2, 4, 6),
        (6,),
    ]
    assert [
        layer.query_dense.name,
        layer.key_dense.name,
        layer.value_dense.name,
        layer.output_dense.name,
    ] == ["query", "key", "value", "attention_output"]


def test_multi_head_attention_in_functional_model_trains_and_round_trips(tmp_path):
    query = kerascore.Input((4, 6))
    value = kerascore.Input((5, 6))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=3)(query, value)
    outputs = layers.Dense(1)(layers.Flatten()(attended))
    model = kerascore.Model([query, value], outputs)
    model.compile(optimizer="adam", loss="mse")
    x = [_inputs((16, 4, 6), 0), _inputs((16, 5, 6), 1)]
    y = _inputs((16, 1), 2)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "mha.keras"
    model.save(path)
    restored = kerascore.models.load_model(path)
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


# ----------------------------------------------------------------- Attention, AdditiveAttention
QUERY_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
VALUE_MASK = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], bool)


@pytest.mark.parametrize(
    "name, config",
    [
        ("Attention", {}),
        ("Attention", {"use_scale": True, "score_mode": "concat"}),
        ("AdditiveAttention", {}),
        ("AdditiveAttention", {"use_scale": False}),
    ],
    ids=["dot", "concat_scaled", "additive", "additive_unscaled"],
)
@pytest.mark.parametrize(
    "call_kwargs",
    [
        {},
        {"mask": [QUERY_MASK, VALUE_MASK]},
        {"use_causal_mask": True, "return_attention_scores": True},
    ],
    ids=["plain", "masks", "causal_scores"],
)
def test_attention_parity(name, config, call_kwargs):
    inputs = [_inputs(QUERY_SHAPE, 0), _inputs(VALUE_SHAPE, 1)]
    outputs = assert_parity(
        getattr(layers, name)(**config),
        getattr(keras.layers, name)(**config),
        [inputs],
        call_kwargs,
    )
    if "mask" in call_kwargs:
        assert np.all(outputs[0][~QUERY_MASK] == 0)


def test_attention_with_key_and_dropout_only_in_training():
    inputs = [_inputs(QUERY_SHAPE, 0), _inputs(VALUE_SHAPE, 1), _inputs(VALUE_SHAPE, 2)]
    assert_parity(layers.Attention(), keras.layers.Attention(), [inputs])
    layer = layers.Attention(dropout=0.5, seed=1)
    np.testing.assert_allclose(layer(inputs), layers.Attention()(inputs), atol=1e-6)
    assert not np.allclose(layer(inputs, training=True), layer(inputs), atol=1e-3)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="num_heads=0"):
        layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="key_dim='4'"):
        layers.MultiHeadAttention(num_heads=2, key_dim="4")
    with pytest.raises(ValueError, match="score_mode='cosine'"):
        layers.Attention(score_mode="cosine")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(_inputs(QUERY_SHAPE, 0))
    with pytest.raises(ValueError, match="needs a `value` input"):
        layers.MultiHeadAttention(num_heads=2, key_dim=2)(_inputs(QUERY_SHAPE, 0))

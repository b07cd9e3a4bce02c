"""Recurrent layers: the generic layer test, Keras 3 parity (outputs and gradients, masks,
go_backwards, states), stateful LSTMs, dropout and an end-to-end sequence classifier."""

import os

import numpy as np
import pytest
import tensorflow as tf

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

BATCH, STEPS, FEATURES, UNITS = 3, 5, 4, 3
IDS = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0]])


def _inputs(shape=(BATCH, STEPS, FEATURES), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _embedded_with_mask():
    """Embeds padded ids with `Embedding(mask_zero=True)`; returns the vectors and the mask
    the embedding attached."""
    embedding = layers.Embedding(10, FEATURES, mask_zero=True)
    embedded = embedding(IDS)
    mask = embedded._keras_mask
    np.testing.assert_array_equal(np.asarray(mask), IDS != 0)
    return np.asarray(embedded), mask


# ----------------------------------------------------------------- generic layer test
@pytest.mark.parametrize(
    "layer_cls, kwargs, output_shape, weights",
    [
        (layers.SimpleRNN, {"units": UNITS}, (2, UNITS), 3),
        (layers.LSTM, {"units": UNITS, "return_sequences": True}, (2, STEPS, UNITS), 3),
        (layers.GRU, {"units": UNITS, "go_backwards": True}, (2, UNITS), 3),
    ],
)
def test_layer_contract(layer_cls, kwargs, output_shape, weights):
    run_layer_test(
        layer_cls,
        kwargs,
        input_shape=(2, STEPS, FEATURES),
        expected_output_shape=output_shape,
        expected_num_trainable_weights=weights,
        atol=1e-5,
    )


def test_generic_rnn_and_stacked_cells_contract():
    run_layer_test(
        layers.RNN,
        {"cell": [layers.LSTMCell(UNITS), layers.SimpleRNNCell(2)], "return_sequences": True},
        input_shape=(2, STEPS, FEATURES),
        expected_output_shape=(2, STEPS, 2),
        expected_num_trainable_weights=6,
        run_training_check=False,
    )


def test_bidirectional_and_time_distributed_contract():
    run_layer_test(
        layers.Bidirectional,
        {"layer": layers.LSTM(UNITS), "merge_mode": "concat"},
        input_shape=(2, STEPS, FEATURES),
        expected_output_shape=(2, 2 * UNITS),
        expected_num_trainable_weights=6,
    )
    run_layer_test(
        layers.TimeDistributed,
        {"layer": layers.Dense(2)},
        input_shape=(2, STEPS, FEATURES),
        expected_output_shape=(2, STEPS, 2),
        expected_num_trainable_weights=2,
        run_training_check=False,
    )


# ----------------------------------------------------------------- Keras 3 parity
CONFIGS = [
    {},
    {"return_sequences": True},
    {"return_sequences": True, "go_backwards": True},
    {"go_backwards": True, "return_state": True},
]


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CONFIGS, ids=["last", "seq", "seq_backwards", "states"])
def test_parity_with_keras(name, config, assert_keras_parity):
    inputs = _inputs()
    assert_keras_parity(
        getattr(layers, name)(UNITS, **config),
        getattr(keras.layers, name)(UNITS, **config),
        inputs,
        atol=1e-4,
    )


@pytest.mark.parametrize("name", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("config", CONFIGS, ids=["last", "seq", "seq_backwards", "states"])
def test_parity_with_keras_on_embedding_mask(name, config, assert_keras_parity):
    inputs, mask = _embedded_with_mask()
    outputs = assert_keras_parity(
        getattr(layers, name)(UNITS, **config),
        getattr(keras.layers, name)(UNITS, **config),
        inputs,
        {"mask": mask},
        atol=1e-4,
    )
    if config.get("return_sequences") and not config.get("go_backwards"):
        # A masked step repeats the previous output: sample 2 stops after its first step.
        sequences = outputs[0] if isinstance(outputs, list) else outputs
        np.testing.assert_allclose(sequences[2, 1:], np.repeat(sequences[2, :1], 4, axis=0))


def test_parity_gru_reset_before_and_unrolled_lstm(assert_keras_parity):
    inputs, mask = _embedded_with_mask()
    assert_keras_parity(
        layers.GRU(UNITS, reset_after=False, return_sequences=True),
        keras.layers.GRU(UNITS, reset_after=False, return_sequences=True),
        inputs,
        {"mask": mask},
        atol=1e-4,
    )
    assert_keras_parity(
        layers.LSTM(UNITS, unroll=True, return_state=True),
        keras.layers.LSTM(UNITS, unroll=True, return_state=True),
        inputs,
        {"mask": mask},
        atol=1e-4,
    )


def test_parity_generic_rnn_with_stacked_cells_and_zero_output(assert_keras_parity):
    inputs, mask = _embedded_with_mask()
    assert_keras_parity(
        layers.RNN(
            [layers.LSTMCell(UNITS), layers.GRUCell(2)],
            return_sequences=True,
            zero_output_for_mask=True,
        ),
        keras.layers.RNN(
            [keras.layers.LSTMCell(UNITS), keras.layers.GRUCell(2)],
            return_sequences=True,
            zero_output_for_mask=True,
        ),
        inputs,
        {"mask": mask},
        atol=1e-4,
    )


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_parity_bidirectional(merge_mode, assert_keras_parity):
    inputs, mask = _embedded_with_mask()
    assert_keras_parity(
        layers.Bidirectional(layers.LSTM(UNITS, return_sequences=True), merge_mode=merge_mode),
        keras.layers.Bidirectional(
            keras.layers.LSTM(UNITS, return_sequences=True), merge_mode=merge_mode
        ),
        inputs,
        {"mask": mask},
        atol=1e-4,
    )


def test_parity_bidirectional_gru_states_and_custom_backward_layer(assert_keras_parity):
    inputs, mask = _embedded_with_mask()
    assert_keras_parity(
        layers.Bidirectional(layers.GRU(UNITS, return_state=True)),
        keras.layers.Bidirectional(keras.layers.GRU(UNITS, return_state=True)),
        inputs,
        {"mask": mask},
        atol=1e-4,
    )
    assert_keras_parity(
        layers.Bidirectional(
            layers.SimpleRNN(UNITS), backward_layer=layers.LSTM(UNITS, go_backwards=True)
        ),
        keras.layers.Bidirectional(
            keras.layers.SimpleRNN(UNITS),
            backward_layer=keras.layers.LSTM(UNITS, go_backwards=True),
        ),
        inputs,
        atol=1e-4,
    )


def test_parity_time_distributed_dense(assert_keras_parity):
    assert_keras_parity(
        layers.TimeDistributed(layers.Dense(2, activation="tanh")),
        keras.layers.TimeDistributed(keras.layers.Dense(2, activation="tanh")),
        _inputs(),
        atol=1e-5,
    )


class _PerStepLSTMCell(layers.LSTMCell):
    """Overrides `call`, which sends `RNN` down its generic path: the cell called per step."""

    def call(self, inputs, states, training=None):
        return super().call(inputs, states, training=training)


@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
def test_lstm_loop_equals_the_generic_per_step_path(masked):
    inputs, mask = _embedded_with_mask() if masked else (_inputs(), None)
    config = {"return_sequences": True, "return_state": True, "go_backwards": True}
    fast = layers.LSTM(UNITS, **config)
    generic = layers.RNN(_PerStepLSTMCell(UNITS), **config)
    fast(inputs)
    generic(inputs)
    generic.set_weights(fast.get_weights())
    results = []
    for layer in (fast, generic):
        sequences = tf.constant(inputs)
        with tf.GradientTape() as tape:
            tape.watch(sequences)
            outputs = layer(sequences, mask=mask)
            loss = sum(tf.reduce_sum(o * (index + 1)) for index, o in enumerate(outputs))
        results.append((outputs, tape.gradient(loss, [sequences, *layer.trainable_variables])))
    for got, expected in zip(tf.nest.flatten(results[0]), tf.nest.flatten(results[1])):
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_weights_match_keras_layout():
    lstm = layers.LSTM(UNITS)
    lstm(_inputs())
    assert [w.shape for w in lstm.get_weights()] == [
        (FEATURES, 4 * UNITS),
        (UNITS, 4 * UNITS),
        (4 * UNITS,),
    ]
    bias = lstm.get_weights()[2]
    np.testing.assert_array_equal(bias[UNITS : 2 * UNITS], 1.0)  # unit_forget_bias
    np.testing.assert_array_equal(np.delete(bias, np.s_[UNITS : 2 * UNITS]), 0.0)
    gru = layers.GRU(UNITS)
    gru(_inputs())
    assert [w.shape for w in gru.get_weights()][2] == (2, 3 * UNITS)
    assert [v._kerascore_name for v in gru.weights] == ["kernel", "recurrent_kernel", "bias"]


def test_states_and_unmerged_outputs_in_a_functional_model():
    sequences = kerascore.Input((STEPS, FEATURES))
    output, state_h, state_c = layers.LSTM(UNITS, return_state=True)(sequences)
    forward, backward = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=None)(
        sequences
    )
    merged, *states = layers.Bidirectional(layers.LSTM(2, return_state=True))(sequences)
    assert (output.shape, state_h.shape, state_c.shape) == ((None, UNITS),) * 3
    assert (forward.shape, backward.shape) == ((None, STEPS, 2),) * 2
    assert merged.shape == (None, 4) and [s.shape for s in states] == [(None, 2)] * 4
    model = kerascore.Model(sequences, [output, state_h, state_c, forward, backward, merged])
    results = model(_inputs())
    np.testing.assert_allclose(results[0], results[1])  # an LSTM's output is its h state
    assert [tuple(r.shape) for r in results][3:] == [(BATCH, STEPS, 2)] * 2 + [(BATCH, 4)]


# ----------------------------------------------------------------- masks through a model
def test_mask_flows_from_embedding_through_lstm_to_pooling_like_keras():
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((STEPS,), dtype="int32"),
                lib.layers.Embedding(10, FEATURES, mask_zero=True),
                lib.layers.LSTM(UNITS, return_sequences=True),
                lib.layers.GlobalAveragePooling1D(),
            ]
        )

    ours, theirs = build(kerascore), build(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(
        ours.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0), atol=1e-5
    )
    embedded = ours.layers[0](IDS)
    sequence = ours.layers[1](embedded)
    np.testing.assert_array_equal(np.asarray(sequence._keras_mask), IDS != 0)
    assert layers.LSTM(UNITS)(embedded)._keras_mask is None


def test_recurrent_model_with_dropout_fits_on_variable_length_and_round_trips(tmp_path):
    tokens = kerascore.Input((None,), dtype="int32")
    hidden = layers.Embedding(10, FEATURES, mask_zero=True)(tokens)
    hidden = layers.Bidirectional(layers.GRU(UNITS, dropout=0.2, recurrent_dropout=0.2))(hidden)
    model = kerascore.Model(tokens, layers.Dense(1)(hidden))
    model.compile(optimizer=kerascore.optimizers.Adam(0.05), loss="mse")
    targets = np.ones((BATCH, 1), "float32")
    before = model.evaluate(IDS, targets, verbose=0)
    model.fit(IDS, targets, epochs=3, batch_size=BATCH, verbose=0)
    assert model.evaluate(IDS, targets, verbose=0) < 0.8 * before
    path = tmp_path / "recurrent.keras"
    model.save(path)
    restored = kerascore.models.load_model(path)
    np.testing.assert_allclose(
        restored.predict(IDS, verbose=0), model.predict(IDS, verbose=0), atol=1e-6
    )
    longer = np.concatenate([IDS, np.zeros((BATCH, 3), IDS.dtype)], axis=1)
    np.testing.assert_allclose(model(longer), model(IDS), atol=1e-6)  # padding is skipped


# ----------------------------------------------------------------- stateful, dropout, errors
def test_stateful_lstm_carries_state_and_resets():
    inputs = _inputs((2, 6, FEATURES))
    model = kerascore.Sequential(
        [kerascore.Input(batch_shape=(2, 3, FEATURES)), layers.LSTM(UNITS, stateful=True)]
    )
    lstm = model.layers[0]
    reference = layers.LSTM(UNITS)
    reference(inputs)
    reference.set_weights(lstm.get_weights())
    whole = np.asarray(reference(inputs))
    first = np.asarray(model(inputs[:, :3]))
    second = np.asarray(model(inputs[:, 3:]))
    np.testing.assert_allclose(second, whole, atol=1e-5)
    assert len(lstm.weights) == 3  # the states are not weights
    lstm.reset_states()
    np.testing.assert_allclose(np.asarray(model(inputs[:, :3])), first, atol=1e-6)
    np.testing.assert_allclose(np.asarray(lstm.states[0]), first, atol=1e-6)
    model.predict(inputs[:, 3:], batch_size=2, verbose=0)  # also inside a compiled function
    np.testing.assert_allclose(np.asarray(lstm.states[0]), second, atol=1e-5)


def test_dropout_only_in_training():
    inputs = _inputs()
    noisy = layers.LSTM(UNITS, dropout=0.5, recurrent_dropout=0.5, seed=1)
    clean = layers.LSTM(UNITS)
    clean(inputs)
    noisy(inputs)
    noisy.set_weights(clean.get_weights())
    np.testing.assert_allclose(noisy(inputs), clean(inputs), atol=1e-6)
    assert not np.allclose(noisy(inputs, training=True), clean(inputs), atol=1e-3)
    gru = layers.GRU(UNITS, dropout=0.5, seed=2)
    assert not np.allclose(gru(inputs, training=True), gru(inputs), atol=1e-3)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="units=0"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="dropout=1.5"):
        layers.GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match="merge_mode='first'"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="first")
    with pytest.raises(ValueError, match="use_cudnn='yes'"):
        layers.LSTM(2, use_cudnn="yes")
    with pytest.raises(ValueError, match="layer instance"):
        layers.TimeDistributed("dense")
    with pytest.raises(ValueError, match="state_size"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="batch size must be static"):
        kerascore.Sequential([kerascore.Input((3, 2)), layers.LSTM(2, stateful=True)])
    with pytest.raises(ValueError, match="unroll"):
        kerascore.Sequential([kerascore.Input((None, 2)), layers.LSTM(2, unroll=True)])


# ----------------------------------------------------------------- end to end
def test_lstm_classifier_learns_marker_order():
    """Does token 1 come before token 2? A bag of tokens cannot tell."""
    rng = np.random.default_rng(0)
    ids = rng.integers(3, 8, size=(256, 8))
    first, second = rng.integers(0, 8, size=(2, 256))
    second = np.where(second == first, (first + 1) % 8, second)
    ids[np.arange(256), first] = 1
    ids[np.arange(256), second] = 2
    labels = (first < second).astype("float32")
    tf.random.set_seed(0)
    model = kerascore.Sequential(
        [
            kerascore.Input((8,), dtype="int32"),
            layers.Embedding(8, 8),
            layers.LSTM(16),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=kerascore.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(ids, labels, epochs=8, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0], losses
    assert history.history["accuracy"][-1] > 0.8, history.history["accuracy"]

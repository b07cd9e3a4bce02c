"""MelSpectrogram, STFTSpectrogram, TFSMLayer and layers.serialize/deserialize: Keras 3
parity, models that save and load."""

import json

import numpy as np
import pytest
import tensorflow as tf

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test

RNG = np.random.default_rng(0)
AUDIO = RNG.normal(size=(2, 4000)).astype("float32")


def _round_trip(model, inputs, tmp_path, name="model"):
    expected = model.predict(inputs, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = kerascore.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(inputs, verbose=0), expected, rtol=1e-5, atol=1e-5)
    return loaded


# ------------------------------------------------------------------ MelSpectrogram
MEL_CASES = [
    {"sampling_rate": 8000, "num_mel_bins": 32, "fft_length": 512, "sequence_stride": 128},
    {
        "fft_length": 256,
        "sequence_length": 200,
        "window": "hamming",
        "power_to_db": False,
        "mag_exp": 1.0,
        "sequence_stride": 100,
    },
    {"window": None, "fft_length": 128, "sequence_stride": 64, "top_db": 20.0},
    {
        "fft_length": 256,
        "sequence_stride": 64,
        "min_freq": 300.0,
        "max_freq": 3000,
        "ref_power": 2.0,
    },
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
def test_mel_spectrogram_matches_keras(keras, kwargs):
    ours = layers.MelSpectrogram(**kwargs)
    theirs = keras.layers.MelSpectrogram(**kwargs)
    result = ours(AUDIO)
    # Decibels are compared absolutely (up to 80 dB); the power scale relatively.
    np.testing.assert_allclose(result, theirs(AUDIO), rtol=1e-5, atol=5e-5)
    assert result.shape == ours.compute_output_shape(AUDIO.shape)
    np.testing.assert_allclose(ours(AUDIO[0]), theirs(AUDIO[0]), rtol=1e-5, atol=5e-5)
    assert ours(AUDIO[0]).shape == ours.compute_output_shape(AUDIO[0].shape)


def test_mel_spectrogram_generic_and_saving(tmp_path):
    kwargs = {"fft_length": 128, "sequence_stride": 64, "num_mel_bins": 16}
    run_layer_test(
        layers.MelSpectrogram,
        kwargs,
        input_shape=(2, 640),
        expected_output_shape=(2, 16, 11),
        # No weights; decibel features of tens make the generic SGD check diverge.
        run_training_check=False,
    )
    inputs = kerascore.Input((640,))
    features = layers.MelSpectrogram(**kwargs)(inputs)
    model = kerascore.Model(inputs, layers.Dense(2)(layers.Flatten()(features)))
    _round_trip(model, RNG.normal(size=(3, 640)).astype("float32"), tmp_path)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.MelSpectrogram(fft_length=128, sequence_length=256), "fft_length=128"),
        (lambda: layers.MelSpectrogram(window="kaiser"), "window='kaiser'"),
        (lambda: layers.MelSpectrogram(num_mel_bins=0), "num_mel_bins=0"),
    ],
)
def test_mel_spectrogram_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------------ STFTSpectrogram
SIGNALS = RNG.normal(size=(2, 300, 2)).astype("float32")
STFT_CASES = [
    {"frame_length": 64},
    {"mode": "magnitude", "frame_length": 64, "frame_step": 16},
    {
        "mode": "psd",
        "frame_length": 50,
        "fft_length": 64,
        "window": "hamming",
        "periodic": True,
        "scaling": "spectrum",
        "padding": "same",
    },
    {"mode": "stft", "frame_length": 32, "expand_dims": True},
    {"mode": "angle", "frame_length": 32, "data_format": "channels_first"},
    {"mode": "real", "frame_length": 32, "window": None, "scaling": None},
    {
        "mode": "imag",
        "frame_length": 32,
        "window": "blackman",
        "expand_dims": True,
        "data_format": "channels_first",
    },
]


@pytest.mark.parametrize("kwargs", STFT_CASES)
def test_stft_spectrogram_matches_keras(keras, assert_keras_parity, kwargs):
    signals = SIGNALS
    if kwargs.get("data_format") == "channels_first":
        signals = np.ascontiguousarray(np.transpose(SIGNALS, (0, 2, 1)))
    ours = layers.STFTSpectrogram(**kwargs)
    theirs = keras.layers.STFTSpectrogram(**kwargs)
    ours.build(signals.shape)
    theirs.build(signals.shape)
    # The Fourier kernels are computed the same way (float64 here, float32 in Keras).
    for mine, reference in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, reference, atol=5e-6)
    result = assert_keras_parity(
        ours, theirs, signals, atol=1e-4, check_grads=kwargs.get("mode") != "angle"
    )
    assert result.shape == ours.compute_output_shape(signals.shape)


def test_stft_spectrogram_generic_and_saving(tmp_path):
    run_layer_test(
        layers.STFTSpectrogram,
        {"mode": "magnitude", "frame_length": 16, "frame_step": 8},
        input_shape=(2, 64, 1),
        expected_output_shape=(2, 7, 9),
        expected_num_trainable_weights=2,
    )
    inputs = kerascore.Input((128, 1))
    features = layers.STFTSpectrogram(frame_length=32, window=[1.0] * 32)(inputs)
    model = kerascore.Model(inputs, layers.Dense(1)(layers.Flatten()(features)))
    _round_trip(model, RNG.normal(size=(2, 128, 1)).astype("float32"), tmp_path)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.STFTSpectrogram(mode="power"), "mode='power'"),
        (lambda: layers.STFTSpectrogram(frame_length=16, frame_step=32), "frame_step=32"),
        (lambda: layers.STFTSpectrogram(frame_length=16, fft_length=8), "fft_length=8"),
        (lambda: layers.STFTSpectrogram(window="kaiser"), "window='kaiser'"),
        (lambda: layers.STFTSpectrogram(frame_length=4, window=[1.0, 1.0]), "shape \\(2,\\)"),
        (lambda: layers.STFTSpectrogram(scaling="energy"), "scaling='energy'"),
        (lambda: layers.STFTSpectrogram(padding="causal"), "padding='causal'"),
    ],
)
def test_stft_spectrogram_rejects_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------------ TFSMLayer
@pytest.fixture
def exported(tmp_path):
    inputs = kerascore.Input((4,))
    hidden = layers.Dense(3, activation="relu")(inputs)
    model = kerascore.Model(inputs, layers.Dense(2)(hidden))
    path = str(tmp_path / "exported")
    model.export(path, verbose=False)
    return model, path


def test_tfsm_layer_calls_exported_endpoints(exported):
    model, path = exported
    data = RNG.normal(size=(5, 4)).astype("float32")
    expected = model.predict(data, verbose=0)
    for endpoint in ("serve", "serving_default"):
        reloaded = layers.TFSMLayer(path, call_endpoint=endpoint)
        np.testing.assert_allclose(reloaded(data), expected, rtol=1e-6)
        assert len(reloaded.trainable_weights) == 4
    frozen = layers.TFSMLayer(path, trainable=False)
    assert frozen.trainable_weights == [] and len(frozen.weights) == 4


def test_tfsm_layer_matches_keras(keras, exported):
    _, path = exported
    data = RNG.normal(size=(5, 4)).astype("float32")
    theirs = keras.layers.TFSMLayer(path, call_endpoint="serve")
    np.testing.assert_allclose(layers.TFSMLayer(path)(data), theirs(data), rtol=1e-6)


def test_tfsm_layer_fine_tunes_and_saves(exported, tmp_path):
    _, path = exported
    inputs = kerascore.Input((4,))
    reloaded = layers.TFSMLayer(path, name="reloaded")
    model = kerascore.Model(inputs, layers.Dense(1)(reloaded(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    data = RNG.normal(size=(8, 4)).astype("float32")
    before = [w.numpy().copy() for w in reloaded.weights]
    model.fit(data, RNG.normal(size=(8, 1)), epochs=2, verbose=0)
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, reloaded.weights))
    loaded = _round_trip(model, data, tmp_path)
    assert loaded.get_layer("reloaded").get_config()["filepath"] == path
    config = json.loads(json.dumps(reloaded.get_config()))
    assert layers.TFSMLayer.from_config(config).call_endpoint == "serve"


def test_tfsm_layer_plain_module_and_training_endpoint(tmp_path):
    class Scaler(tf.Module):
        def __init__(self):
            self.scale = tf.Variable(3.0)
            self.offset = tf.Variable(1.0, trainable=False)

        @tf.function(input_signature=[tf.TensorSpec((None, 2))])
        def serve(self, x):
            return x * self.scale

        @tf.function(input_signature=[tf.TensorSpec((None, 2))])
        def train(self, x):
            return x * self.scale + self.offset

    path = str(tmp_path / "scaler")
    tf.saved_model.save(Scaler(), path)
    layer = layers.TFSMLayer(path, call_endpoint="serve", call_training_endpoint="train")
    data = np.ones((2, 2), "float32")
    np.testing.assert_allclose(layer(data), 3.0 * data)
    np.testing.assert_allclose(layer(data, training=True), 3.0 * data + 1.0)
    assert len(layer.trainable_weights) == 1 and len(layer.non_trainable_weights) == 1


def test_tfsm_layer_rejects_missing_models_and_endpoints(exported, tmp_path):
    _, path = exported
    with pytest.raises(ValueError, match="No TensorFlow SavedModel"):
        layers.TFSMLayer(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="call_endpoint='predict'"):
        layers.TFSMLayer(path, call_endpoint="predict")


# ------------------------------------------------------------------ serialize / deserialize
@pytest.mark.parametrize(
    "layer",
    [
        layers.Dense(3, activation="relu", name="d"),
        layers.EinsumDense("ab,bc->ac", 4, bias_axes="c"),
        layers.Pipeline([layers.Rescaling(0.5), layers.RandomFlip(seed=1)]),
        layers.SpectralNormalization(layers.Conv2D(2, 3)),
        layers.HashedCrossing(num_bins=4),
        layers.RandAugment(num_ops=1, seed=2),
    ],
)
def test_serialize_round_trips(layer):
    config = json.loads(json.dumps(layers.serialize(layer)))
    assert config["class_name"] == type(layer).__name__
    restored = layers.deserialize(config)
    assert type(restored) is type(layer)
    assert restored.get_config() == layer.get_config()


def test_deserialize_reads_keras_configs(keras):
    config = keras.layers.serialize(keras.layers.Dense(5, activation="tanh", name="from_keras"))
    restored = layers.deserialize(config)
    assert isinstance(restored, layers.Dense) and restored.units == 5
    assert restored.name == "from_keras"
    pipeline = keras.layers.Pipeline([keras.layers.Rescaling(0.5), keras.layers.Dense(2, name="e")])
    restored = layers.deserialize(keras.layers.serialize(pipeline))
    assert [type(layer).__name__ for layer in restored.layers] == ["Rescaling", "Dense"]
    quantized = keras.layers.serialize(keras.layers.Dense(2))
    quantized["config"]["quantization_config"] = {"mode": "int8"}
    with pytest.raises(ValueError, match="quantization_config="):
        layers.deserialize(quantized)


def test_deserialize_custom_objects_and_errors():
    class Custom(layers.Layer):
        pass

    config = {"class_name": "Custom", "config": {"name": "c"}}
    assert isinstance(layers.deserialize(config, custom_objects={"Custom": Custom}), Custom)
    with pytest.raises(ValueError, match="Unknown object 'Nowhere'"):
        layers.deserialize({"class_name": "Nowhere", "config": {}})
    with pytest.raises(ValueError, match="does not describe a layer"):
        layers.deserialize({"class_name": "Adam", "config": {}})
    with pytest.raises(ValueError, match="expects a layer"):
        layers.serialize("relu")

"""Convolution layers: the generic layer test, parity with Keras 3, argument errors, and a
small convnet trained on scikit-learn's digits."""

import time

import numpy as np
import pytest

import kerascore
from kerascore import layers
from kerascore.testing import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape, weights",
    [
        (layers.Conv1D, {"filters": 4, "kernel_size": 3}, (2, 7, 3), (2, 5, 4), 2),
        (
            layers.Conv1D,
            {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
            (2, 7, 2),
            (2, 7, 4),
            2,
        ),
        (
            layers.Conv2D,
            {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
            (2, 7, 7, 2),
            (2, 4, 4, 4),
            2,
        ),
        (
            layers.Conv2D,
            {"filters": 4, "kernel_size": 2, "groups": 2, "use_bias": False},
            (2, 5, 5, 2),
            (2, 4, 4, 4),
            1,
        ),
        (layers.Conv3D, {"filters": 2, "kernel_size": 2}, (2, 4, 4, 4, 1), (2, 3, 3, 3, 2), 2),
        (
            layers.Conv1DTranspose,
            {"filters": 3, "kernel_size": 3, "strides": 2},
            (2, 5, 2),
            (2, 11, 3),
            2,
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
            (2, 4, 4, 2),
            (2, 8, 8, 3),
            2,
        ),
        (
            layers.Conv3DTranspose,
            {"filters": 2, "kernel_size": 2, "strides": 2},
            (2, 2, 2, 2, 1),
            (2, 4, 4, 4, 2),
            2,
        ),
        (
            layers.DepthwiseConv1D,
            {"kernel_size": 3, "depth_multiplier": 2},
            (2, 6, 3),
            (2, 4, 6),
            2,
        ),
        (
            layers.DepthwiseConv2D,
            {"kernel_size": 3, "padding": "same"},
            (2, 5, 5, 3),
            (2, 5, 5, 3),
            2,
        ),
        (layers.SeparableConv1D, {"filters": 4, "kernel_size": 3}, (2, 6, 3), (2, 4, 4), 3),
        (
            layers.SeparableConv2D,
            {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
            (2, 5, 5, 3),
            (2, 3, 3, 4),
            3,
        ),
    ],
)
def test_generic(cls, kwargs, input_shape, output_shape, weights):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_trainable_weights=weights,
    )


PARITY_CASES = [
    ("Conv1D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 9, 3)),
    (
        "Conv1D",
        {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
        (2, 9, 3),
    ),
    ("Conv1D", {"filters": 4, "kernel_size": 2, "groups": 2}, (2, 6, 4)),
    (
        "Conv2D",
        {
            "filters": 3,
            "kernel_size": (3, 2),
            "strides": (2, 1),
            "padding": "same",
            "activation": "tanh",
        },
        (2, 7, 6, 2),
    ),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 2}, (2, 8, 8, 2)),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 3, "padding": "same"}, (2, 5, 5, 3)),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 5, 4, 4, 2)),
    (
        "Conv1DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
        (2, 5, 2),
    ),
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 3, 2)),
    (
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
        (2, 4, 4, 2),
    ),
    ("Conv3DTranspose", {"filters": 2, "kernel_size": 2, "strides": 2}, (1, 2, 3, 2, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 7, 3)),
    ("DepthwiseConv2D", {"kernel_size": 3, "strides": 2, "depth_multiplier": 2}, (2, 7, 7, 2)),
    (
        "DepthwiseConv2D",
        {"kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same"},
        (2, 9, 8, 2),
    ),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 9, 2)),
    (
        "SeparableConv2D",
        {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
        (2, 6, 6, 3),
    ),
]


@pytest.mark.parametrize("name, kwargs, input_shape", PARITY_CASES)
def test_keras_parity(name, kwargs, input_shape, keras, random_inputs, assert_keras_parity):
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    out = assert_keras_parity(ours, theirs, random_inputs(input_shape))
    assert out.shape == ours.compute_output_shape(input_shape)
    assert [w.name.split("/")[-1].split(":")[0] for w in ours.weights] == [
        w.name for w in theirs.weights
    ]


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("SeparableConv1D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "valid"}),
        ("SeparableConv1D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}),
        (
            "SeparableConv1D",
            {
                "filters": 3,
                "kernel_size": 2,
                "strides": 2,
                "depth_multiplier": 2,
                "padding": "same",
            },
        ),
        ("DepthwiseConv1D", {"kernel_size": 3, "strides": 2, "padding": "valid"}),
        ("DepthwiseConv1D", {"kernel_size": 3, "strides": 2, "padding": "same"}),
        (
            "DepthwiseConv1D",
            {"kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same"},
        ),
        (
            "DepthwiseConv1D",
            {"kernel_size": 3, "strides": 2, "data_format": "channels_first"},
        ),
    ],
)
def test_strided_1d_depthwise_uses_equal_strides(
    name, kwargs, keras, random_inputs, assert_keras_parity, monkeypatch
):
    """Strided 1D depthwise/separable layers match Keras 3, and the underlying 2D depthwise
    op gets equal row and column strides (TensorFlow's plain CPU kernel, used when oneDNN
    is off, rejects anything else with "only supports equal length strides")."""
    import tensorflow as tf

    shape = (2, 2, 9) if kwargs.get("data_format") == "channels_first" else (2, 9, 2)
    x = random_inputs(shape)
    ours = getattr(layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    out = assert_keras_parity(ours, theirs, x)
    assert out.shape == ours.compute_output_shape(shape)

    strides_seen = []
    original = tf.nn.depthwise_conv2d

    def spy(inputs, kernel, strides, *args, **kw):
        strides_seen.append(tuple(strides))
        return original(inputs, kernel, strides, *args, **kw)

    monkeypatch.setattr(tf.nn, "depthwise_conv2d", spy)
    np.testing.assert_allclose(np.asarray(ours(x)), out, atol=1e-6)
    assert strides_seen, "tf.nn.depthwise_conv2d was not called"
    assert all(s[1] == s[2] for s in strides_seen), strides_seen


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (
            layers.Conv2D,
            {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
            (2, 7, 6, 2),
        ),
        (layers.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 4, 5, 2)),
        (layers.SeparableConv2D, {"filters": 3, "kernel_size": 3}, (2, 6, 6, 2)),
    ],
)
def test_channels_first_equals_transposed_channels_last(cls, kwargs, shape, random_inputs):
    x = random_inputs(shape)
    last = cls(**kwargs)
    expected = np.asarray(last(x))
    first = cls(data_format="channels_first", **kwargs)
    out = np.asarray(first(np.moveaxis(x, -1, 1)))
    first.set_weights(last.get_weights())
    out = np.asarray(first(np.moveaxis(x, -1, 1)))
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), expected, atol=1e-5)
    assert out.shape == first.compute_output_shape(np.moveaxis(x, -1, 1).shape)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: layers.Conv2D(0, 3), "filters=0"),
        (lambda: layers.Conv2D(4, 0), "kernel_size=0"),
        (lambda: layers.Conv2D(4, 3, strides=(1, 0)), r"strides=\(1, 0\)"),
        (lambda: layers.Conv2D(4, 3, padding="full"), "padding='full'"),
        (lambda: layers.Conv2D(4, 3, padding="causal"), "padding='causal'"),
        (lambda: layers.Conv2D(4, 3, data_format="NHWC"), "data_format='NHWC'"),
        (lambda: layers.Conv2D(4, 3, groups=3), "groups=3"),
        (lambda: layers.Conv2D(4, (3, 3, 3)), r"kernel_size=\(3, 3, 3\)"),
        (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
        (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
        (lambda: layers.DepthwiseConv2D(3, depth_multiplier=-1), "depth_multiplier=-1"),
        (lambda: layers.SeparableConv2D(4, 3, depth_multiplier=0), "depth_multiplier=0"),
    ],
)
def test_invalid_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_errors_at_build():
    with pytest.raises(ValueError, match="groups=2.*3 channels"):
        layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="zero or negative"):
        layers.Conv2D(4, 5)(np.ones((1, 3, 3, 1), "float32"))
    conv = layers.Conv2D(2, 3)
    conv(np.ones((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        conv(np.ones((1, 5, 5, 4), "float32"))


def test_regularizers_and_constraints():
    conv = layers.Conv2D(
        2, 3, kernel_regularizer="l2", activity_regularizer="l1", kernel_constraint="non_neg"
    )
    conv(np.ones((1, 4, 4, 1), "float32"))
    assert len(conv.losses) == 2
    assert conv.kernel.constraint is not None
    restored = layers.Conv2D.from_config(conv.get_config())
    assert restored.get_config() == conv.get_config()


def test_convnet_on_digits_lowers_loss():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    kerascore.utils.set_random_seed(0)
    model = kerascore.Sequential(
        [
            kerascore.Input((8, 8, 1)),
            layers.Conv2D(8, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=kerascore.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(x, y, epochs=3, batch_size=64, verbose=0)
    assert time.perf_counter() - start < 10
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.5, losses
    assert history.history["accuracy"][-1] > 0.8


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (layers.Conv2D, {"filters": 4, "kernel_size": 3}),
        (layers.SeparableConv2D, {"filters": 4, "kernel_size": 3}),
        (layers.DepthwiseConv2D, {"kernel_size": 3}),
        (layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}),
    ],
)
def test_mixed_precision(cls, kwargs, random_inputs):
    x = random_inputs((2, 6, 6, 3))
    reference = cls(**kwargs)
    expected = np.asarray(reference(x))
    layer = cls(dtype="mixed_float16", **kwargs)
    layer(x)
    layer.set_weights(reference.get_weights())
    out = layer(x)
    assert out.dtype.name == "float16"
    assert all(w.dtype.name == "float32" for w in layer.weights)
    np.testing.assert_allclose(np.asarray(out, "float32"), expected, atol=2e-2, rtol=1e-2)


def test_saved_convnet_loads_with_the_same_predictions(tmp_path, random_inputs):
    model = kerascore.Sequential(
        [
            kerascore.Input((8, 8, 2)),
            layers.Conv2D(4, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.SeparableConv2D(3, 2, depth_multiplier=2),
            layers.DepthwiseConv2D(1),
            layers.Conv2DTranspose(2, 2, strides=2),
            layers.GlobalAveragePooling2D(),
            layers.Dense(1),
        ]
    )
    x = random_inputs((6, 8, 8, 2))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.ones((6, 1)), epochs=1, verbose=0)
    path = str(tmp_path / "convnet.keras")
    model.save(path)
    restored = kerascore.models.load_model(path)
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )

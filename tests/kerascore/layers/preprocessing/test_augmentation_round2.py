"""Image augmentation layers of round two: Keras 3 parity for the deterministic ones;
shapes, dtypes, value ranges, inference identity and seeded reproducibility for the random
ones; configs, tf.data and saving for all."""

import json

import numpy as np
import pytest
import tensorflow as tf

import kerascore as keras
from kerascore import layers
from kerascore.testing import run_layer_test

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 255, size=(4, 12, 10, 3)).astype("float32")
UNIT_IMAGES = IMAGES / 255.0

RANDOM_LAYERS = [
    (layers.RandomBrightness, {"factor": 0.3}),
    (layers.RandomColorDegeneration, {"factor": 0.8}),
    (
        layers.RandomColorJitter,
        {
            "brightness_factor": 0.2,
            "contrast_factor": 0.3,
            "saturation_factor": (0.2, 0.8),
            "hue_factor": 0.3,
        },
    ),
    (layers.RandomGrayscale, {"factor": 1.0}),
    (layers.RandomHue, {"factor": 0.5}),
    (layers.RandomSaturation, {"factor": (0.1, 0.9)}),
    (layers.RandomSharpness, {"factor": (0.0, 0.3)}),
    (layers.RandomInvert, {"factor": 1.0}),
    (layers.RandomPosterization, {"factor": (1, 3)}),
    (layers.RandomErasing, {"factor": 1.0, "scale": (0.2, 0.5)}),
    (layers.RandomErasing, {"fill_value": (1.0, 2.0, 3.0), "scale": 0.5}),
    (layers.RandomGaussianBlur, {"kernel_size": (3, 5), "sigma": (0.5, 2.0)}),
    (layers.RandomShear, {"x_factor": 0.3, "y_factor": 0.3}),
    (layers.RandomPerspective, {"scale": 0.5}),
    (layers.RandomElasticTransform, {"scale": 1.0}),
    (layers.RandomElasticTransform, {"fill_mode": "constant", "fill_value": 0.0}),
    (layers.Solarization, {"addition_factor": 0.2, "threshold_factor": 0.6}),
    (layers.Equalization, {}),
    (layers.MixUp, {"alpha": 0.5}),
    (layers.CutMix, {}),
    (layers.AugMix, {"chain_depth": 2}),
    (layers.AugMix, {"all_ops": False, "num_chains": 2}),
    (layers.RandAugment, {"num_ops": 3, "factor": 0.8}),
]
IDS = [f"{cls.__name__}-{index}" for index, (cls, _) in enumerate(RANDOM_LAYERS)]


def _with_seed(kwargs, seed=3):
    return {**kwargs, "seed": seed} if "seed" not in kwargs else kwargs


def _make(cls, kwargs, seed=3):
    if cls is layers.Equalization:
        return cls(**kwargs)
    return cls(**_with_seed(kwargs, seed))


# ------------------------------------------------------------------ random layers
@pytest.mark.parametrize("cls, kwargs", RANDOM_LAYERS, ids=IDS)
def test_random_layer_generic(cls, kwargs):
    run_layer_test(
        cls,
        kwargs if cls is layers.Equalization else _with_seed(kwargs),
        input_shape=(2, 8, 6, 3),
        expected_output_shape=(2, 8, 6, 3),
        run_training_check=False,
    )


@pytest.mark.parametrize("cls, kwargs", RANDOM_LAYERS, ids=IDS)
def test_random_layer_behaviour(cls, kwargs):
    layer = _make(cls, kwargs)
    np.testing.assert_array_equal(layer(IMAGES, training=False), IMAGES)
    trained = layer(IMAGES, training=True)
    assert trained.dtype == tf.float32 and trained.shape == IMAGES.shape
    assert not np.allclose(trained, IMAGES), "training output should be augmented"
    assert np.all(np.asarray(trained) >= -1e-3) and np.all(np.asarray(trained) <= 255 + 1e-3)
    np.testing.assert_allclose(_make(cls, kwargs)(IMAGES, training=True), trained, atol=1e-4)
    # Grayscale and inversion with probability 1, and equalization, are the same every time.
    if cls not in (layers.Equalization, layers.RandomGrayscale, layers.RandomInvert):
        assert not np.allclose(layer(IMAGES, training=True), trained), "calls should differ"
    assert layer(IMAGES[0], training=True).shape == IMAGES[0].shape
    compiled = tf.function(lambda x: layer(x, training=True))
    assert compiled(IMAGES).shape == IMAGES.shape


@pytest.mark.parametrize("cls, kwargs", RANDOM_LAYERS, ids=IDS)
def test_random_layer_channels_first_and_tf_data(cls, kwargs):
    first = _make(cls, kwargs, seed=5)
    last = _make(cls, kwargs, seed=5)
    first = cls.from_config({**first.get_config(), "data_format": "channels_first"})
    transposed = np.transpose(IMAGES, (0, 3, 1, 2))
    np.testing.assert_allclose(
        np.transpose(first(transposed, training=True), (0, 2, 3, 1)),
        last(IMAGES, training=True),
        atol=1e-3,
    )
    dataset = tf.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(_make(cls, kwargs))
    assert np.concatenate(list(dataset)).shape == IMAGES.shape


@pytest.mark.parametrize("cls, kwargs", RANDOM_LAYERS, ids=IDS)
def test_random_layer_in_model_saves_and_loads(cls, kwargs, tmp_path):
    inputs = keras.Input(shape=(12, 10, 3))
    hidden = _make(cls, kwargs)(inputs)
    model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(hidden)))
    model.compile(optimizer="sgd", loss="mse")
    expected = model.predict(IMAGES, verbose=0)
    path = tmp_path / "augmented.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.layers[1]) is cls
    assert loaded.layers[1].get_config() == model.layers[1].get_config()
    np.testing.assert_allclose(loaded.predict(IMAGES, verbose=0), expected, rtol=1e-5, atol=1e-5)
    assert np.isfinite(model.fit(IMAGES, np.zeros((4, 2)), verbose=0).history["loss"][0])


def test_value_range_is_respected():
    for cls, kwargs in RANDOM_LAYERS:
        if "fill_value" in kwargs:
            continue
        layer = _make(
            cls,
            {**kwargs, "value_range": (0, 1)}
            if "value_range" in cls.__init__.__code__.co_varnames
            else kwargs,
        )
        outputs = np.asarray(layer(UNIT_IMAGES, training=True))
        if "value_range" in cls.__init__.__code__.co_varnames:
            assert outputs.min() >= -1e-5 and outputs.max() <= 1 + 1e-5, cls.__name__


# ------------------------------------------------------------------ specific behaviour
def test_brightness_and_invert_and_grayscale_values():
    ones = np.full((2, 3, 3, 3), 100.0, "float32")
    brightened = np.asarray(layers.RandomBrightness((0.1, 0.1), seed=1)(ones, training=True))
    np.testing.assert_allclose(brightened, 125.5, rtol=1e-6)
    inverted = layers.RandomInvert(value_range=(10, 20), seed=1)(ones / 10, training=True)
    np.testing.assert_allclose(inverted, 20.0, rtol=1e-6)
    gray = np.asarray(layers.RandomGrayscale(factor=1.0, seed=1)(IMAGES, training=True))
    np.testing.assert_allclose(gray[..., 0], gray[..., 2])
    expected = IMAGES @ np.array([0.2989, 0.5870, 0.1140], "float32")
    np.testing.assert_allclose(gray[..., 0], expected, rtol=1e-5)
    degenerated = layers.RandomColorDegeneration((1.0, 1.0), seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(degenerated, gray, rtol=1e-5, atol=1e-3)


def test_posterization_keeps_the_top_bits():
    kept = np.asarray(layers.RandomPosterization((2, 2), seed=1)(IMAGES, training=True))
    np.testing.assert_array_equal(kept, (IMAGES.astype("uint8") >> 6 << 6).astype("float32"))


def test_hue_and_saturation_neutral_factors_keep_images():
    saturation = layers.RandomSaturation((0.5, 0.5), seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(saturation, IMAGES, atol=1e-2)
    hue = layers.RandomHue((0.0, 0.0), seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(hue, IMAGES, atol=1e-2)
    gray = layers.RandomSaturation((0.0, 0.0), seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(np.ptp(np.asarray(gray), axis=-1), 0.0, atol=1e-3)


def test_sharpness_matches_keras_at_a_fixed_factor(keras):
    ours = layers.RandomSharpness((0.2, 0.2), seed=1)(IMAGES, training=True)
    theirs = keras.layers.RandomSharpness((0.2, 0.2), seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_erasing_fills_one_box_with_the_value():
    erased = np.asarray(
        layers.RandomErasing((1.0, 1.0), scale=(0.25, 0.25), fill_value=7.0, seed=2)(
            IMAGES, training=True
        )
    )
    changed = erased != IMAGES
    assert np.all(erased[changed] == 7.0)
    rows = changed[..., 0].any(axis=2).sum(axis=1)
    columns = changed[..., 0].any(axis=1).sum(axis=1)
    assert np.all(rows >= 5) and np.all(rows <= 7) and np.all(columns >= 4) and np.all(columns <= 6)


def test_elastic_transform_nearest_moves_pixels_of_larger_images():
    images = RNG.uniform(0, 255, size=(2, 64, 64, 3)).astype("float32")
    layer = layers.RandomElasticTransform((1.0, 1.0), interpolation="nearest", seed=1)
    warped = np.asarray(layer(images, training=True))
    assert not np.allclose(warped, images)
    # Nearest sampling only moves pixels: every output value is one of the image's values.
    assert np.isin(warped, images).all()


def test_perspective_and_shear_zero_strength_are_identity():
    still = layers.RandomPerspective(scale=0.0, seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(still, IMAGES, atol=1e-3)
    unsheared = layers.RandomShear(seed=1)(IMAGES, training=True)
    np.testing.assert_allclose(unsheared, IMAGES, atol=1e-3)


def test_mix_up_and_cut_mix_mix_labels_consistently():
    labels = np.eye(4, dtype="float32")
    for cls in (layers.MixUp, layers.CutMix):
        mixed = cls(seed=4)({"images": IMAGES, "labels": labels}, training=True)
        assert set(mixed) == {"images", "labels"}
        np.testing.assert_allclose(np.asarray(mixed["labels"]).sum(axis=1), 1.0, rtol=1e-5)
        assert mixed["images"].shape == IMAGES.shape
        passthrough = cls(seed=4)({"images": IMAGES, "labels": labels}, training=False)
        np.testing.assert_array_equal(passthrough["labels"], labels)
    cut = layers.CutMix(seed=4)({"images": IMAGES, "labels": labels}, training=True)
    # Every pixel of a CutMix image comes from one of the batch's images.
    pixels = np.asarray(cut["images"]).reshape(4, -1, 3)
    sources = IMAGES.reshape(4, -1, 3)
    for index in range(4):
        assert np.all(np.any(np.all(pixels[index][None] == sources, axis=-1), axis=0))
    mix_up = layers.MixUp(alpha=0.4, seed=4)({"images": IMAGES, "labels": labels}, training=True)
    weights = np.asarray(mix_up["labels"]).max(axis=1)
    assert np.all(weights >= 0.5)


def test_max_num_bounding_boxes_pads_and_truncates():
    boxes = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    labels = np.array([[1, 2, 3], [4, 5, 6]], "int32")
    data = {"images": IMAGES[:2], "bounding_boxes": {"boxes": boxes, "labels": labels}}
    padded = layers.MaxNumBoundingBoxes(max_number=5)(data)
    assert padded["bounding_boxes"]["boxes"].shape == (2, 5, 4)
    np.testing.assert_array_equal(padded["bounding_boxes"]["labels"][:, 3:], -1)
    np.testing.assert_array_equal(padded["images"], IMAGES[:2])
    truncated = layers.MaxNumBoundingBoxes(max_number=2, fill_value=0)(data)
    np.testing.assert_array_equal(truncated["bounding_boxes"]["boxes"], boxes[:, :2])
    np.testing.assert_array_equal(layers.MaxNumBoundingBoxes(2)(IMAGES), IMAGES)
    config = json.loads(json.dumps(layers.MaxNumBoundingBoxes(3, name="m").get_config()))
    assert layers.MaxNumBoundingBoxes.from_config(config).max_number == 3


# ------------------------------------------------------------------ deterministic parity
@pytest.mark.parametrize(
    "kwargs, scale",
    [({}, 1.0), ({"value_range": (0, 1)}, 1 / 255), ({"value_range": (-1, 1)}, 2 / 255)],
)
def test_auto_contrast_matches_keras(keras, kwargs, scale):
    images = IMAGES * scale - (1.0 if kwargs.get("value_range") == (-1, 1) else 0.0)
    images[0] = images[0] * 0.5 + images[0].mean() * 0.5
    ours = layers.AutoContrast(**kwargs)
    np.testing.assert_allclose(ours(images), keras.layers.AutoContrast(**kwargs)(images), atol=1e-5)
    np.testing.assert_allclose(ours(images, training=False), ours(images), atol=1e-6)


def test_auto_contrast_keeps_flat_channels_and_int_dtype():
    flat = np.full((1, 3, 3, 1), 9.0, "float32")
    np.testing.assert_array_equal(layers.AutoContrast()(flat), flat)
    as_int = layers.AutoContrast()(IMAGES.astype("int32"))
    assert as_int.dtype == tf.int32


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"clip_limit": 2.0, "tile_grid_size": (3, 4)}, {"clip_limit": 0.0}],
)
def test_clahe_matches_keras(keras, kwargs):
    ours = layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    theirs = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
    np.testing.assert_allclose(ours(IMAGES), theirs(IMAGES), atol=1e-4)
    np.testing.assert_allclose(ours(IMAGES[0]), theirs(IMAGES[0]), atol=1e-4)
    unit = layers.ContrastLimitedAdaptiveHistogramEqualization(value_range=(0, 1), **kwargs)
    their_unit = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(
        value_range=(0, 1), **kwargs
    )
    np.testing.assert_allclose(unit(UNIT_IMAGES), their_unit(UNIT_IMAGES), atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"bins": 64}, {"value_range": (0, 1)}])
def test_equalization_matches_keras_per_image(keras, kwargs):
    images = UNIT_IMAGES if kwargs.get("value_range") == (0, 1) else IMAGES
    images = np.round(images * 0.5, 3) if not kwargs else images
    ours = layers.Equalization(**kwargs)
    theirs = keras.layers.Equalization(**kwargs)
    for index in range(len(images)):
        np.testing.assert_allclose(
            ours(images[index : index + 1], training=True),
            theirs(images[index : index + 1], training=True),
            atol=1e-5,
        )
    np.testing.assert_allclose(ours(images[0]), theirs(images[0]), atol=1e-5)


@pytest.mark.parametrize("value_range, scale", [((0, 255), 1.0), ((0, 1), 1 / 255)])
def test_solarization_defaults_match_keras(keras, value_range, scale):
    images = IMAGES * scale
    ours = layers.Solarization(value_range=value_range)(images, training=True)
    theirs = keras.layers.Solarization(value_range=value_range)(images, training=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_solarization_fixed_threshold_matches_numpy():
    solarized = layers.Solarization(threshold_factor=(0.5, 0.5))(IMAGES, training=True)
    expected = np.where(IMAGES < 127.5, IMAGES, 255.0 - IMAGES)
    np.testing.assert_allclose(solarized, expected, atol=1e-4)
    added = layers.Solarization(addition_factor=(0.1, 0.1), threshold_factor=(1.0, 1.0))
    raised = np.clip(IMAGES + 25.5, 0, 255)
    np.testing.assert_allclose(
        added(IMAGES, training=True), np.where(raised < 255, raised, 0.0), atol=1e-4
    )


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (layers.AutoContrast, {}),
        (layers.ContrastLimitedAdaptiveHistogramEqualization, {"tile_grid_size": (2, 2)}),
    ],
)
def test_deterministic_layers_generic_and_saving(cls, kwargs, tmp_path):
    run_layer_test(
        cls,
        kwargs,
        input_shape=(2, 8, 6, 3),
        expected_output_shape=(2, 8, 6, 3),
        run_training_check=False,
    )
    inputs = keras.Input(shape=(12, 10, 3))
    model = keras.Model(inputs, cls(**kwargs)(inputs))
    expected = model.predict(IMAGES, verbose=0)
    path = tmp_path / "deterministic.keras"
    model.save(path)
    np.testing.assert_allclose(
        keras.saving.load_model(path).predict(IMAGES, verbose=0), expected, atol=1e-5
    )


# ------------------------------------------------------------------ invalid arguments
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.RandomBrightness(2.0), "factor=2.0"),
        (lambda: layers.RandomBrightness(0.1, value_range=(1,)), "value_range=\\(1,\\)"),
        (lambda: layers.RandomColorDegeneration(1.5), "factor=1.5"),
        (lambda: layers.RandomGrayscale(factor=2), "factor=2"),
        (lambda: layers.RandomHue("x"), "factor='x'"),
        (lambda: layers.RandomPosterization(9), "factor=9"),
        (lambda: layers.RandomErasing(fill_value="red"), "fill_value='red'"),
        (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size=4"),
        (lambda: layers.RandomGaussianBlur(sigma=-1.0), "sigma=-1.0"),
        (lambda: layers.RandomShear(x_factor=1.5), "x_factor=1.5"),
        (lambda: layers.RandomPerspective(scale=2.0), "scale=2.0"),
        (lambda: layers.RandomPerspective(interpolation="cubic"), "interpolation='cubic'"),
        (lambda: layers.RandomElasticTransform(fill_mode="mirror"), "fill_mode='mirror'"),
        (lambda: layers.Solarization(threshold_factor=2.0), "threshold_factor=2.0"),
        (lambda: layers.Equalization(bins=1), "bins=1"),
        (
            lambda: layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(0, 2)),
            "tile_grid_size=\\(0, 2\\)",
        ),
        (lambda: layers.MixUp(alpha=0), "alpha=0"),
        (lambda: layers.CutMix(factor=3), "factor=3"),
        (lambda: layers.AugMix(num_chains=0), "num_chains=0"),
        (lambda: layers.RandAugment(num_ops=-1), "num_ops=-1"),
        (lambda: layers.MaxNumBoundingBoxes(0), "max_number=0"),
        (lambda: layers.MixUp()({"labels": IMAGES}), "'images'"),
        (lambda: layers.RandomHue(0.1)(IMAGES[..., :2], training=True), "channels=2"),
    ],
)
def test_augmentation_layers_reject_bad_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomBrightness", {"factor": (0.1, 0.1)}),
        ("RandomBrightness", {"factor": (-0.2, -0.2), "value_range": (0, 1)}),
        ("RandomColorDegeneration", {"factor": (0.4, 0.4)}),
        ("RandomSaturation", {"factor": (0.3, 0.3)}),
        ("RandomSaturation", {"factor": (0.7, 0.7), "value_range": (0, 1)}),
        ("RandomSharpness", {"factor": (0.9, 0.9)}),
        ("RandomPosterization", {"factor": (3, 3)}),
        ("RandomInvert", {"factor": (1.0, 1.0)}),
        ("RandomGrayscale", {"factor": 1.0}),
        ("RandomGaussianBlur", {"factor": (1.0, 1.0), "kernel_size": 5, "sigma": (0.8, 0.8)}),
        ("RandomErasing", {"factor": (0.0, 0.0)}),
        ("RandomColorJitter", {"brightness_factor": (0.1, 0.1), "saturation_factor": (0.3, 0.3)}),
    ],
)
def test_random_layers_match_keras_when_the_draw_is_fixed(keras, name, kwargs):
    """With a factor range of one value, Keras's random layers are deterministic: ours give
    the same images."""
    images = UNIT_IMAGES if kwargs.get("value_range") == (0, 1) else IMAGES
    ours = getattr(layers, name)(seed=1, **kwargs)(images, training=True)
    theirs = getattr(keras.layers, name)(seed=1, **kwargs)(images, training=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-3 if images is IMAGES else 1e-5)

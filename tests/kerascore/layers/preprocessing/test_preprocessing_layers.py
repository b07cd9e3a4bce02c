"""Preprocessing layers: generic layer test, Keras 3 parity, tf.data, models, saving."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import kerascore as keras
from kerascore import layers, ops
from kerascore.testing import run_layer_test

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(0, 1, size=(4, 8, 10, 3)).astype("float32")
FEATURES = (RNG.normal(size=(16, 3)) * [1, 5, 10] + [0, 3, -2]).astype("float32")
TOKENS = np.array([["a", "c", "d"], ["d", "z", "b"], ["a", "a", "b"]])
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, cats and DOGS"]


def _keras():
    import keras as reference

    return reference


# ------------------------------------------------------------------ generic layer tests
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape, non_trainable",
    [
        (layers.Normalization, {}, (4, 3), (4, 3), 3),
        (layers.Normalization, {"axis": None, "mean": 2.0, "variance": 4.0}, (4, 3), (4, 3), 0),
        (layers.Normalization, {"axis": (1, 2)}, (4, 2, 3), (4, 2, 3), 3),
        (layers.Rescaling, {"scale": 0.5, "offset": 1.0}, (4, 3), (4, 3), 0),
        (layers.Resizing, {"height": 3, "width": 5}, (2, 6, 6, 1), (2, 3, 5, 1), 0),
        (layers.CenterCrop, {"height": 2, "width": 3}, (2, 4, 5, 2), (2, 2, 3, 2), 0),
    ],
)
def test_numeric_layers_generic(cls, kwargs, input_shape, output_shape, non_trainable):
    run_layer_test(
        cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_non_trainable_weights=non_trainable,
    )


@pytest.mark.parametrize(
    "cls, kwargs",
    [
        (layers.RandomFlip, {"seed": 1}),
        (layers.RandomRotation, {"factor": 0.1, "seed": 1}),
        (layers.RandomZoom, {"height_factor": 0.2, "seed": 1}),
        (layers.RandomTranslation, {"height_factor": 0.1, "width_factor": 0.1, "seed": 1}),
        (layers.RandomContrast, {"factor": 0.3, "value_range": (-5, 5), "seed": 1}),
    ],
)
def test_random_layers_generic_and_behaviour(cls, kwargs):
    run_layer_test(
        cls,
        kwargs,
        input_shape=(2, 5, 6, 3),
        expected_output_shape=(2, 5, 6, 3),
        run_training_check=False,
    )
    layer = cls(**kwargs)
    np.testing.assert_array_equal(layer(IMAGES, training=False), IMAGES)
    trained = layer(IMAGES, training=True)
    assert not np.allclose(trained, IMAGES), "training output should be augmented"
    np.testing.assert_allclose(cls(**kwargs)(IMAGES, training=True), trained)
    assert not np.allclose(layer(IMAGES, training=True), trained), "each call should differ"
    single = cls(**kwargs)(IMAGES[0], training=True)
    assert single.shape == IMAGES[0].shape


def test_category_encoding_generic():
    run_layer_test(
        layers.CategoryEncoding,
        {"num_tokens": 5, "output_mode": "count"},
        input_shape=(4, 3),
        expected_output_shape=(4, 5),
        input_dtype="int32",
    )


# ------------------------------------------------------------------ parity with Keras 3
def test_normalization_adapt_matches_keras():
    reference = _keras()
    for data in (FEATURES, tf.data.Dataset.from_tensor_slices(FEATURES).batch(5)):
        ours, theirs = layers.Normalization(), reference.layers.Normalization()
        ours.adapt(data)
        theirs.adapt(data)
        np.testing.assert_allclose(ours(FEATURES), theirs(FEATURES), atol=1e-5)
        assert len(ours.get_weights()) == len(theirs.get_weights())
    np.testing.assert_allclose(np.mean(ours(FEATURES), 0), 0, atol=1e-5)
    inverse = layers.Normalization(invert=True, mean=[1.0, 2.0, 3.0], variance=[4.0, 1.0, 9.0])
    np.testing.assert_allclose(inverse(np.ones((1, 3))), [[3.0, 3.0, 6.0]])


@pytest.mark.parametrize(
    "cls_name, kwargs",
    [
        ("Rescaling", {"scale": 1 / 255.0, "offset": -0.5}),
        ("Resizing", {"height": 4, "width": 5}),
        ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True}),
        (
            "Resizing",
            {"height": 5, "width": 3, "pad_to_aspect_ratio": True, "interpolation": "nearest"},
        ),
        ("CenterCrop", {"height": 4, "width": 6}),
        ("CenterCrop", {"height": 9, "width": 6}),
    ],
)
def test_image_layers_match_keras(cls_name, kwargs):
    reference = _keras()
    ours = getattr(layers, cls_name)(**kwargs)(IMAGES)
    theirs = getattr(reference.layers, cls_name)(**kwargs)(IMAGES)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_category_encoding_and_hashing_match_keras():
    reference = _keras()
    ids = np.array([[0, 1], [3, 3], [2, 0]])
    for mode in ("one_hot", "multi_hot", "count"):
        inputs = ids[:, :1] if mode == "one_hot" else ids
        np.testing.assert_array_equal(
            layers.CategoryEncoding(4, output_mode=mode)(inputs),
            reference.layers.CategoryEncoding(4, output_mode=mode)(inputs),
        )
    weighted = layers.CategoryEncoding(4, output_mode="count")(ids, count_weights=[[1.0, 2.0]] * 3)
    np.testing.assert_allclose(weighted, [[1, 2, 0, 0], [0, 0, 0, 3], [2, 0, 1, 0]])
    strings = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    for kwargs in (
        {"num_bins": 3},
        {"num_bins": 5, "mask_value": "A"},
        {"num_bins": 4, "salt": 133},
        {"num_bins": 4, "output_mode": "multi_hot"},
    ):
        np.testing.assert_array_equal(
            layers.Hashing(**kwargs)(strings), reference.layers.Hashing(**kwargs)(strings)
        )
    numbers = np.array([[1], [2], [30]])
    np.testing.assert_array_equal(layers.Hashing(7)(numbers), reference.layers.Hashing(7)(numbers))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"num_oov_indices": 2},
        {"mask_token": "[M]"},
        {"max_tokens": 4},
        {"output_mode": "multi_hot"},
        {"output_mode": "count", "pad_to_max_tokens": True, "max_tokens": 8},
        {"output_mode": "tf_idf"},
    ],
)
def test_string_lookup_matches_keras(kwargs):
    reference = _keras()
    ours, theirs = layers.StringLookup(**kwargs), reference.layers.StringLookup(**kwargs)
    ours.adapt(TOKENS)
    theirs.adapt(TOKENS)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    query = np.array([["a", "q", "b"], ["[M]", "c", "e"]])
    np.testing.assert_allclose(ours(query), theirs(query), rtol=1e-6)


def test_string_lookup_given_vocabulary_and_invert_match_keras():
    reference = _keras()
    vocabulary = ["a", "b", "c"]
    query = [["a", "c"], ["d", "b"]]
    np.testing.assert_array_equal(
        layers.StringLookup(vocabulary=vocabulary)(query), [[1, 3], [0, 2]]
    )
    inverse = layers.StringLookup(vocabulary=vocabulary, invert=True)
    their_inverse = reference.layers.StringLookup(vocabulary=vocabulary, invert=True)
    ids = np.array([[1, 3, 0, 7]])
    np.testing.assert_array_equal(inverse(ids), their_inverse(ids))
    idf = layers.StringLookup(
        vocabulary=vocabulary, idf_weights=[0.5, 1.0, 2.0], output_mode="tf_idf"
    )
    their_idf = reference.layers.StringLookup(
        vocabulary=vocabulary, idf_weights=[0.5, 1.0, 2.0], output_mode="tf_idf"
    )
    np.testing.assert_allclose(idf(query), their_idf(query))


@pytest.mark.parametrize(
    "kwargs", [{}, {"mask_token": 0}, {"output_mode": "one_hot"}, {"num_oov_indices": 3}]
)
def test_integer_lookup_matches_keras(kwargs):
    reference = _keras()
    data = np.array([[12, 1138, 42], [42, 1000, 36], [7, 7, 7]])
    ours, theirs = layers.IntegerLookup(**kwargs), reference.layers.IntegerLookup(**kwargs)
    ours.adapt(data)
    theirs.adapt(data)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    query = (
        data[:, :1]
        if kwargs.get("output_mode") == "one_hot"
        else np.array([[12, 5, 0], [42, 99, 7]])
    )
    np.testing.assert_array_equal(ours(query), theirs(query))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"output_sequence_length": 4},
        {"max_tokens": 6, "output_mode": "multi_hot"},
        {"ngrams": 2, "output_mode": "count"},
        {"output_mode": "tf_idf"},
        {"split": "character", "output_sequence_length": 10, "standardize": "lower"},
    ],
)
def test_text_vectorization_matches_keras(kwargs):
    reference = _keras()
    ours = layers.TextVectorization(**kwargs)
    theirs = reference.layers.TextVectorization(**kwargs)
    ours.adapt(TEXTS)
    theirs.adapt(TEXTS)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    query = np.array(["the cat and the dog", "unknown words here, cats!"])
    our_output, their_output = ours(query), theirs(query)
    assert our_output.shape == their_output.shape
    np.testing.assert_allclose(our_output, their_output, rtol=1e-6)


# ------------------------------------------------------------------ config, tf.data, models
def test_lookup_configs_round_trip_with_vocabulary():
    layer = layers.TextVectorization(max_tokens=10, output_mode="tf_idf", ngrams=(1, 2))
    layer.adapt(TEXTS)
    config = json.loads(json.dumps(layer.get_config()))
    restored = layers.TextVectorization.from_config(config)
    assert restored.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(restored(TEXTS), layer(TEXTS), rtol=1e-6)
    lookup = layers.IntegerLookup(mask_token=0, num_oov_indices=2)
    lookup.adapt(np.array([5, 5, 9, 0, 11]))
    restored = layers.IntegerLookup.from_config(json.loads(json.dumps(lookup.get_config())))
    np.testing.assert_array_equal(restored([[0, 5, 11, 13]]), lookup([[0, 5, 11, 13]]))


def test_layers_inside_tf_data_map():
    vectorizer = layers.TextVectorization(output_sequence_length=5)
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(TEXTS).batch(2))
    dataset = tf.data.Dataset.from_tensor_slices((TEXTS, [0, 1, 1])).batch(2)
    mapped = dataset.map(lambda x, y: (vectorizer(x), y))
    ids = np.concatenate([x for x, _ in mapped.as_numpy_iterator()])
    np.testing.assert_array_equal(ids, vectorizer(TEXTS))
    lookup = layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    encoded = list(tf.data.Dataset.from_tensor_slices(TOKENS).batch(3).map(lookup))[0]
    np.testing.assert_array_equal(encoded, lookup(TOKENS))
    flip = layers.RandomFlip("horizontal", seed=5)
    augmented = np.concatenate(list(tf.data.Dataset.from_tensor_slices(IMAGES).batch(2).map(flip)))
    assert not np.allclose(augmented, IMAGES)
    mirrored = IMAGES[:, :, ::-1]
    for image, original, flipped in zip(augmented, IMAGES, mirrored):
        assert np.allclose(image, original) or np.allclose(image, flipped)
    normalizer = layers.Normalization()
    normalizer.adapt(FEATURES)
    normalized = np.concatenate(
        list(tf.data.Dataset.from_tensor_slices(FEATURES).batch(4).map(normalizer))
    )
    np.testing.assert_allclose(normalized, normalizer(FEATURES), atol=1e-6)


def test_text_classifier_fits_and_saves(tmp_path):
    positive = ["good great fine", "great good", "fine good day", "great day"]
    negative = ["bad awful", "awful bad day", "terrible bad", "awful terrible day"]
    texts = np.array(positive + negative)
    labels = np.array([1] * 4 + [0] * 4, dtype="float32")[:, None]
    vectorizer = layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorizer.adapt(texts)
    inputs = keras.Input(shape=(1,), dtype="string")
    ids = vectorizer(inputs)
    embedded = layers.Embedding(20, 8)(ids)
    pooled = ops.mean(embedded, axis=1)
    outputs = layers.Dense(1, activation="sigmoid")(pooled)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"]
    )
    history = model.fit(texts[:, None], labels, epochs=25, batch_size=4, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    predictions = model.predict(texts[:, None], verbose=0)
    path = tmp_path / "text.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(texts[:, None], verbose=0), predictions, rtol=1e-5)


def test_image_model_with_preprocessing_fits_and_saves(tmp_path):
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(IMAGES)
    model = keras.Sequential(
        [
            keras.Input((8, 10, 3)),
            layers.Rescaling(2.0),
            normalizer,
            layers.RandomFlip("horizontal", seed=2),
            layers.RandomRotation(0.05, seed=3),
            layers.Resizing(4, 5),
            layers.CenterCrop(4, 4),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    targets = IMAGES.mean(axis=(1, 2, 3))[:, None]
    history = model.fit(IMAGES, targets, epochs=3, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    predictions = model.predict(IMAGES, verbose=0)
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), predictions)
    path = tmp_path / "image.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(IMAGES, verbose=0), predictions, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ invalid arguments
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: layers.Normalization(mean=1.0), "variance=None"),
        (lambda: layers.Resizing(0, 3), "height=0"),
        (lambda: layers.RandomFlip("diagonal"), "mode='diagonal'"),
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "fill_mode='mirror'"),
        (lambda: layers.RandomTranslation(2.0, 0.1), "height_factor=2.0"),
        (lambda: layers.RandomContrast(1.5), "factor=1.5"),
        (lambda: layers.CategoryEncoding(0), "num_tokens=0"),
        (lambda: layers.CategoryEncoding(3, output_mode="bag"), "output_mode='bag'"),
        (lambda: layers.Hashing(0), "num_bins=0"),
        (lambda: layers.StringLookup(max_tokens=1), "max_tokens=1"),
        (lambda: layers.StringLookup(output_mode="embed"), "output_mode='embed'"),
        (lambda: layers.StringLookup(vocabulary=["a", "a"]), "repeated"),
        (lambda: layers.StringLookup(invert=True, output_mode="count"), "output_mode='count'"),
        (lambda: layers.IntegerLookup(vocabulary_dtype="float32"), "vocabulary_dtype='float32'"),
        (lambda: layers.TextVectorization(split="comma"), "split='comma'"),
        (
            lambda: layers.TextVectorization(output_mode="count", output_sequence_length=3),
            "output_sequence_length=3",
        ),
    ],
)
def test_invalid_arguments_raise(build, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        build()


def test_lookup_without_vocabulary_says_what_to_do():
    with pytest.raises(ValueError, match="adapt"):
        layers.StringLookup()(["a"])

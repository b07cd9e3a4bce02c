"""Structured data classification with `FeatureSpace`.

Follows the Keras example "Structured data classification with FeatureSpace" (TensorFlow
backend) on a generated table of patients in the shape of the Cleveland heart-disease data:

- A `keras.utils.FeatureSpace` declares how each column is encoded: integer and string
  categories one-hot encoded, age discretized into quantile bins, measurements normalized,
  one rescaled; two crosses (sex x age bin, thal x chest pain) are hashed.
- `adapt` learns vocabularies, bins and statistics from the training rows, and the feature
  space encodes each batch inside the `tf.data` pipeline.
- A small classifier, a model whose inputs are `get_encoded_features()` as in the Keras
  tutorial, trains on the encoded vectors; an end-to-end model (raw columns in, probability
  out) from `get_inputs()` to the same outputs predicts on raw rows, and is saved and loaded
  back.

Run: python examples/structured_data_feature_space.py
"""

import os
import tempfile

import numpy as np
import tensorflow as tf

import kerascore as keras

keras.utils.set_random_seed(5)
FeatureSpace = keras.utils.FeatureSpace


def generate_patients(count, rng):
    """Rows of a heart-disease-like table and a label that depends on several columns."""
    columns = {
        "age": rng.uniform(30.0, 78.0, count).astype("float32"),
        "sex": rng.integers(0, 2, count).astype("int32"),
        "chest_pain": rng.integers(0, 4, count).astype("int32"),
        "exercise_angina": rng.integers(0, 2, count).astype("int32"),
        "thal": rng.choice(["normal", "fixed", "reversible"], count, p=[0.5, 0.2, 0.3]),
        "cholesterol": rng.normal(240.0, 45.0, count).astype("float32"),
        "max_heart_rate": rng.normal(150.0, 22.0, count).astype("float32"),
        "oldpeak": rng.gamma(1.5, 0.8, count).astype("float32"),
    }
    thal_risk = {"normal": -1.2, "fixed": 0.4, "reversible": 1.4}
    logit = (
        0.07 * (columns["age"] - 54.0)
        + 0.012 * (columns["cholesterol"] - 240.0)
        - 0.04 * (columns["max_heart_rate"] - 150.0)
        + 1.3 * columns["exercise_angina"]
        + np.array([-1.4, -0.3, 0.5, 1.6])[columns["chest_pain"]]
        + np.vectorize(thal_risk.get)(columns["thal"])
        + 0.6 * columns["oldpeak"]
        - 0.8
    )
    target = (logit + rng.logistic(0.0, 0.35, count) > 0).astype("int32")
    return columns, target


rng = np.random.default_rng(0)
train_columns, train_target = generate_patients(1200, rng)
val_columns, val_target = generate_patients(300, rng)
print(f"Positive rate in training rows: {train_target.mean():.4f}")

train_ds = tf.data.Dataset.from_tensor_slices((train_columns, train_target))
train_ds = train_ds.shuffle(1200, seed=0).batch(32)
val_ds = tf.data.Dataset.from_tensor_slices((val_columns, val_target)).batch(32)

feature_space = FeatureSpace(
    features={
        # Categorical features encoded as integers.
        "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
        "chest_pain": FeatureSpace.integer_categorical(num_oov_indices=0),
        "exercise_angina": FeatureSpace.integer_categorical(num_oov_indices=0),
        # Categorical feature encoded as a string.
        "thal": FeatureSpace.string_categorical(num_oov_indices=0),
        # Numerical feature to discretize.
        "age": FeatureSpace.float_discretized(num_bins=12),
        # Numerical features to normalize, and one to rescale.
        "cholesterol": FeatureSpace.float_normalized(),
        "max_heart_rate": FeatureSpace.float_normalized(),
        "oldpeak": FeatureSpace.float_rescaled(scale=0.25),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=32),
        FeatureSpace.cross(feature_names=("thal", "chest_pain"), crossing_dim=16),
    ],
    output_mode="concat",
)

train_ds_with_no_labels = train_ds.map(lambda x, _: x)
feature_space.adapt(train_ds_with_no_labels)

for x, _ in train_ds.take(1):
    preprocessed_x = feature_space(x)
    print("Encoded batch shape:", tuple(preprocessed_x.shape))

preprocessed_train_ds = train_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)
preprocessed_val_ds = val_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)

dict_inputs = feature_space.get_inputs()
encoded_features = feature_space.get_encoded_features()

x = keras.layers.Dense(32, activation="relu")(encoded_features)
x = keras.layers.Dropout(0.3)(x)
predictions = keras.layers.Dense(1, activation="sigmoid")(x)

# The training model starts at the encoded features (the pipeline encodes the data); the
# inference model starts at the raw columns and runs the same layers after the encoding.
training_model = keras.Model(inputs=encoded_features, outputs=predictions)
training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

history = training_model.fit(
    preprocessed_train_ds, validation_data=preprocessed_val_ds, epochs=20, verbose=0
)
print(f"First epoch loss: {history.history['loss'][0]:.4f}")
print(f"Last epoch loss: {history.history['loss'][-1]:.4f}")
print(f"Validation accuracy: {history.history['val_accuracy'][-1]:.4f}")

# The end-to-end model takes raw columns: one patient at high risk, one at low risk.
high_risk = {
    "age": 70.0,
    "sex": 1,
    "chest_pain": 3,
    "exercise_angina": 1,
    "thal": "reversible",
    "cholesterol": 300.0,
    "max_heart_rate": 115.0,
    "oldpeak": 3.0,
}
low_risk = {
    "age": 35.0,
    "sex": 0,
    "chest_pain": 0,
    "exercise_angina": 0,
    "thal": "normal",
    "cholesterol": 190.0,
    "max_heart_rate": 180.0,
    "oldpeak": 0.2,
}
raw_rows = {
    name: keras.ops.convert_to_tensor([[high_risk[name]], [low_risk[name]]])
    for name in sorted(high_risk)
}
probabilities = inference_model.predict(raw_rows, verbose=0)
print(f"Probability for the high-risk patient: {probabilities[0, 0]:.4f}")
print(f"Probability for the low-risk patient: {probabilities[1, 0]:.4f}")

val_rows = {name: tf.constant(val_columns[name].reshape(-1, 1)) for name in sorted(val_columns)}
with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "heart_model.keras")
    inference_model.save(path)
    restored = keras.models.load_model(path)
    difference = np.max(
        np.abs(restored.predict(val_rows, verbose=0) - inference_model.predict(val_rows, verbose=0))
    )
print(f"Restored prediction difference: {difference:.2e}")

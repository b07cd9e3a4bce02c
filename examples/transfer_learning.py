"""Transfer learning: reuse a trained convnet, train a new head, then fine-tune.

Follows the workflow of the Keras transfer-learning guide on scikit-learn's digits:

1. Train a base convnet (with BatchNormalization) on the digits 0-4.
2. Freeze it (`base_model.trainable = False`), put a new head on it for the digits 5-9,
   calling the base with `training=False` so its BatchNormalization layers stay in
   inference mode, and train only the head on a small training set.
3. Unfreeze the base, recompile with a low learning rate and fine-tune the whole model.

Run: python examples/transfer_learning.py
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerascore as keras

keras.utils.set_random_seed(5)

digits = load_digits()
images = (digits.images / 16.0).astype("float32")[..., np.newaxis]
labels = digits.target
old_task = labels < 5
x_old, y_old = images[old_task], labels[old_task]
x_new, y_new = images[~old_task], labels[~old_task] - 5
x_train, x_test, y_train, y_test = train_test_split(
    x_new, y_new, train_size=0.3, random_state=0, stratify=y_new
)
print(f"Base task: {len(x_old)} images. New task: {len(x_train)} train, {len(x_test)} test.")

# 1. The base model, trained on the first five digits.
base_inputs = keras.Input(shape=(8, 8, 1))
x = keras.layers.Conv2D(32, 3, padding="same", use_bias=False)(base_inputs)
x = keras.layers.BatchNormalization(name="first_batch_norm")(x)
x = keras.layers.Activation("relu")(x)
x = keras.layers.Conv2D(64, 3, padding="same", use_bias=False)(x)
x = keras.layers.BatchNormalization()(x)
x = keras.layers.Activation("relu")(x)
x = keras.layers.MaxPooling2D(2)(x)
base_outputs = keras.layers.GlobalAveragePooling2D()(x)
base_model = keras.Model(base_inputs, base_outputs, name="base")

pretraining_model = keras.Sequential([base_model, keras.layers.Dense(5, activation="softmax")])
pretraining_model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
pretraining_model.fit(x_old, y_old, batch_size=32, epochs=25, verbose=0)
_, base_accuracy = pretraining_model.evaluate(x_old, y_old, verbose=0)
print(f"Base model accuracy on digits 0-4: {base_accuracy:.4f}")

# 2. Freeze the base and train a new head for the digits 5-9.
base_model.trainable = False
inputs = keras.Input(shape=(8, 8, 1))
x = base_model(inputs, training=False)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(5, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.summary(show_trainable=True)

frozen_weights = [w.copy() for w in base_model.get_weights()]
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)
_, head_accuracy = model.evaluate(x_test, y_test, verbose=0)
base_unchanged = all(
    np.array_equal(before, after) for before, after in zip(frozen_weights, base_model.get_weights())
)
print(f"Base weights unchanged while frozen: {base_unchanged}")
print(f"New head test accuracy: {head_accuracy:.4f}")

# 3. Unfreeze and fine-tune everything with a low learning rate. The base was called with
# training=False, so its BatchNormalization layers keep their moving statistics.
base_model.trainable = True
model.compile(
    optimizer=keras.optimizers.Adam(1e-4),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=0)
_, fine_tuned_accuracy = model.evaluate(x_test, y_test, verbose=0)
batch_norm = base_model.get_layer("first_batch_norm")
moving_mean_kept = np.array_equal(batch_norm.moving_mean.numpy(), frozen_weights[3])
print(f"BatchNormalization moving mean kept while fine-tuning: {moving_mean_kept}")
print(f"Fine-tuned test accuracy: {fine_tuned_accuracy:.4f}")

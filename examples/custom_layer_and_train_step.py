"""A custom layer and a model with its own `train_step`.

Follows the Keras guides "Making new layers and models via subclassing" and "Customizing
what happens in `fit()`" (TensorFlow backend):

- `Linear` is a layer written from scratch: weights made in `build`, math in `call` with
  `keras.ops`, `get_config` for saving, registered with `register_keras_serializable`.
- `CustomModel` subclasses `keras.Model` and overrides `train_step` and `test_step`; its
  loss and metric trackers are attributes, and the `metrics` property lists them so `fit`
  resets them each epoch.

The model learns a noisy nonlinear regression, then is saved and loaded back.

Run: python examples/custom_layer_and_train_step.py
"""

import os
import tempfile

import numpy as np
import tensorflow as tf

import kerascore as keras

keras.utils.set_random_seed(3)


@keras.saving.register_keras_serializable(package="examples")
class Linear(keras.layers.Layer):
    """A dense layer without activation: `inputs @ kernel + bias`."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel) + self.bias

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="examples")
class CustomModel(keras.Model):
    """A two-layer regressor that computes its own loss and MAE in its train and test steps."""

    def __init__(self, hidden_units=64, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.hidden = Linear(hidden_units)
        self.head = Linear(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def call(self, inputs):
        return self.head(keras.ops.tanh(self.hidden(inputs)))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = keras.ops.mean(keras.ops.square(y - y_pred))
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(keras.ops.mean(keras.ops.square(y - y_pred)))
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}


rng = np.random.default_rng(0)
x = rng.uniform(-1.0, 1.0, size=(2000, 4)).astype("float32")
y = np.sin(3.0 * x[:, :1]) + x[:, 1:2] * x[:, 2:3] + 0.05 * rng.normal(size=(2000, 1))
y = y.astype("float32")
x_train, y_train, x_test, y_test = x[:1600], y[:1600], x[1600:], y[1600:]

model = CustomModel(hidden_units=64)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2))
history = model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)
print(f"First epoch loss: {history.history['loss'][0]:.4f}")
print(f"Last epoch loss: {history.history['loss'][-1]:.4f}")

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"Test loss: {results['loss']:.4f}")
print(f"Test mae: {results['mae']:.4f}")

with tempfile.TemporaryDirectory() as directory:
    path = os.path.join(directory, "custom_model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
difference = np.max(np.abs(restored.predict(x_test, verbose=0) - model.predict(x_test, verbose=0)))
print(f"Restored model class: {type(restored).__name__}")
print(f"Restored prediction difference: {difference:.2e}")

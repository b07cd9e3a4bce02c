"""A variational autoencoder (VAE) with its own `train_step`, on 8x8 digit images.

Follows the Keras example "Variational AutoEncoder" (TensorFlow backend):

- The encoder maps an image to the mean and log-variance of a 2-D latent Gaussian; a
  `Sampling` layer draws `z` from it with the reparameterization trick, seeded by a
  `keras.random.SeedGenerator`.
- The decoder maps `z` back to pixel probabilities.
- `VAE` subclasses `keras.Model`, takes the encoder and decoder, and overrides `train_step`
  to minimise the reconstruction loss (binary cross-entropy summed over pixels) plus the
  Kullback-Leibler divergence from the unit Gaussian; three `Mean` trackers report them.

The images are scikit-learn's digits scaled to [0, 1].

Run: python examples/variational_autoencoder.py
"""

import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

import kerascore as keras

keras.utils.set_random_seed(7)
LATENT_DIM = 2


class Sampling(keras.layers.Layer):
    """Draws `z = z_mean + exp(z_log_var / 2) * epsilon` with `epsilon ~ N(0, 1)`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = keras.ops.shape(z_mean)[0]
        dim = keras.ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon


encoder_inputs = keras.Input(shape=(8, 8, 1))
x = keras.layers.Flatten()(encoder_inputs)
x = keras.layers.Dense(64, activation="relu")(x)
x = keras.layers.Dense(32, activation="relu")(x)
z_mean = keras.layers.Dense(LATENT_DIM, name="z_mean")(x)
z_log_var = keras.layers.Dense(LATENT_DIM, name="z_log_var")(x)
z = Sampling()([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

latent_inputs = keras.Input(shape=(LATENT_DIM,))
x = keras.layers.Dense(32, activation="relu")(latent_inputs)
x = keras.layers.Dense(64, activation="relu")(x)
x = keras.layers.Dense(64, activation="sigmoid")(x)
decoder_outputs = keras.layers.Reshape((8, 8, 1))(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")


class VAE(keras.Model):
    """Trains `encoder` and `decoder` together on the evidence lower bound."""

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = keras.ops.mean(
                keras.ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
            )
            kl_loss = -0.5 * (1 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var))
            kl_loss = keras.ops.mean(keras.ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


digits = load_digits()
images = (digits.images / 16.0).astype("float32")[..., np.newaxis]

vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3))
history = vae.fit(images, epochs=30, batch_size=64, verbose=0)
print(f"First epoch loss: {history.history['loss'][0]:.4f}")
print(f"Last epoch loss: {history.history['loss'][-1]:.4f}")
print(f"Last epoch reconstruction_loss: {history.history['reconstruction_loss'][-1]:.4f}")
print(f"Last epoch kl_loss: {history.history['kl_loss'][-1]:.4f}")

# The decoder alone turns latent points into images; the encoder's means place each digit class.
z_means, _, _ = encoder.predict(images, verbose=0)
centres = np.stack([z_means[digits.target == label].mean(axis=0) for label in range(10)])
spread_between_classes = float(np.mean(np.std(centres, axis=0)))
print(f"Spread of class centres in latent space: {spread_between_classes:.4f}")
generated = decoder.predict(np.zeros((1, LATENT_DIM), "float32"), verbose=0)
print(f"Generated image shape: {generated.shape}")
pixels_in_range = bool(np.all((generated >= 0.0) & (generated <= 1.0)))
print(f"Generated pixels within [0, 1]: {pixels_in_range}")

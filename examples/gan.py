"""A small generative adversarial network (GAN) with its own `compile` and `train_step`.

Follows the GAN of the Keras guide "Customizing what happens in `fit()`" (TensorFlow
backend):

- `GAN` subclasses `keras.Model` and takes a discriminator, a generator and the latent size.
- Its `compile(d_optimizer, g_optimizer, loss_fn)` keeps one optimizer per network.
- Its `train_step` first trains the discriminator on generated and real samples (with a
  little label noise), then trains the generator through the frozen discriminator with
  labels that say "real"; two `Mean` trackers report both losses.

The real data are 2-D points from a Gaussian centred at (2, -1); the generator starts out
producing points near the origin and learns to move its samples onto the real cloud.

Run: python examples/gan.py
"""

import numpy as np
import tensorflow as tf

import kerascore as keras

keras.utils.set_random_seed(11)
LATENT_DIM = 4
REAL_MEAN = np.array([2.0, -1.0], "float32")
REAL_STD = np.array([0.5, 0.5], "float32")

discriminator = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(32, activation="leaky_relu"),
        keras.layers.Dense(32, activation="leaky_relu"),
        keras.layers.Dense(1),
    ],
    name="discriminator",
)
generator = keras.Sequential(
    [
        keras.Input(shape=(LATENT_DIM,)),
        keras.layers.Dense(32, activation="leaky_relu"),
        keras.layers.Dense(32, activation="leaky_relu"),
        keras.layers.Dense(2),
    ],
    name="generator",
)


class GAN(keras.Model):
    """Trains `generator` to fool `discriminator`, and `discriminator` to tell real from fake."""

    def __init__(self, discriminator, generator, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_samples):
        if isinstance(real_samples, tuple):
            real_samples = real_samples[0]
        batch_size = tf.shape(real_samples)[0]

        # Train the discriminator: generated samples are labelled 1, real ones 0.
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_samples = self.generator(random_latent_vectors)
        combined_samples = tf.concat([generated_samples, real_samples], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_samples)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # Train the generator through the discriminator, whose weights stay as they are.
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def distance_to_real_mean(samples):
    """How far the mean of `samples` lies from the real data's mean."""
    return float(np.linalg.norm(samples.mean(axis=0) - REAL_MEAN))


rng = np.random.default_rng(0)
real_points = (REAL_MEAN + REAL_STD * rng.normal(size=(4096, 2))).astype("float32")
latent_probe = rng.normal(size=(2000, LATENT_DIM)).astype("float32")

before = generator.predict(latent_probe, verbose=0)
print(f"Distance of generated mean before training: {distance_to_real_mean(before):.4f}")

gan = GAN(discriminator=discriminator, generator=generator, latent_dim=LATENT_DIM)
gan.compile(
    d_optimizer=keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5),
    g_optimizer=keras.optimizers.Adam(learning_rate=1e-3, beta_1=0.5),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
dataset = tf.data.Dataset.from_tensor_slices(real_points).shuffle(4096, seed=0).batch(64)
history = gan.fit(dataset, epochs=80, verbose=0)
print(f"Last epoch d_loss: {history.history['d_loss'][-1]:.4f}")
print(f"Last epoch g_loss: {history.history['g_loss'][-1]:.4f}")

after = generator.predict(latent_probe, verbose=0)
print(f"Distance of generated mean after training: {distance_to_real_mean(after):.4f}")
print(f"Generated standard deviation x: {after[:, 0].std():.4f}")
print(f"Generated standard deviation y: {after[:, 1].std():.4f}")

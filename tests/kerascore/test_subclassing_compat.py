"""Model subclassing and layer calls as Keras 3 takes them (issue 17): a subclass with its own
constructor arguments, `compute_loss` overrides with or without `training`, inputs passed by
keyword, model inputs converted to the `Input`'s dtype, and the VAE and GAN patterns of Keras's
guides trained for an epoch and saved. The small checks run on both kerascore and Keras 3."""

import os

import numpy as np
import pytest
import tensorflow as tf

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
reference = pytest.importorskip("keras")

import kerascore  # noqa: E402

LIBRARIES = [pytest.param(kerascore, id="kerascore"), pytest.param(reference, id="keras")]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_subclass_with_positional_constructor_arguments_is_not_functional(lib):
    class Autoencoder(lib.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder

        def call(self, inputs):
            return self.decoder(self.encoder(inputs))

    model = Autoencoder(lib.layers.Dense(2), lib.layers.Dense(3), name="autoencoder")
    assert model.name == "autoencoder"
    assert model(np.ones((4, 3), "float32")).shape == (4, 3)
    assert len(model.trainable_weights) == 4


@pytest.mark.parametrize("lib", LIBRARIES)
def test_subclass_passing_inputs_and_outputs_to_model_init_is_functional(lib):
    class Head(lib.Model):
        def __init__(self, units, **kwargs):
            inputs = lib.Input((3,))
            outputs = lib.layers.Dense(units)(inputs)
            super().__init__(inputs, outputs, **kwargs)
            self.units = units

        def train_step(self, data):
            self.custom_steps = getattr(self, "custom_steps", 0) + 1
            return super().train_step(data)

    model = Head(5, name="head")
    assert isinstance(model, Head) and model.units == 5
    assert model(np.ones((2, 3), "float32")).shape == (2, 5)
    assert len(model.layers) == 2 and model.inputs[0].shape == (None, 3)
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model.fit(np.ones((4, 3)), np.ones((4, 5)), epochs=1, batch_size=2, verbose=0)
    assert model.custom_steps == 2


@pytest.mark.parametrize("lib", LIBRARIES)
def test_compute_loss_override_without_training_argument(lib):
    class Regressor(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def compute_loss(self, x, y, y_pred, sample_weight, allow_empty=False):
            return lib.ops.mean(lib.ops.square(y - y_pred))

    model = Regressor()
    model.compile(optimizer="sgd")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    loss = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(loss, np.mean(model.predict(x, verbose=0) ** 2), rtol=1e-5)


@pytest.mark.parametrize("lib", LIBRARIES)
def test_compute_loss_override_with_training_argument_receives_the_mode(lib):
    modes = []

    class Regressor(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            modes.append(training)
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    model = Regressor()
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert modes == [True, False]


@pytest.mark.parametrize("lib", LIBRARIES)
def test_train_step_receives_x_alone_when_fit_has_no_targets(lib):
    received = []

    class Recorder(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            received.append(type(data))
            return {"loss": tf.constant(0.0)}

    model = Recorder()
    model.compile(optimizer="sgd", run_eagerly=True)
    model.fit(np.ones((4, 3), "float32"), epochs=1, batch_size=4, verbose=0)
    assert received and not issubclass(received[0], tuple)


def _endpoint_class(lib):
    class LogisticEndpoint(lib.layers.Layer):
        """The endpoint layer of Keras's functional API guide: a loss from keyword inputs."""

        def call(self, logits, targets=None, sample_weight=None):
            if targets is not None:
                loss = lib.ops.mean(
                    lib.losses.binary_crossentropy(targets, logits, from_logits=True)
                )
                self.add_loss(loss)
            return lib.ops.sigmoid(logits)

    return LogisticEndpoint


@pytest.mark.parametrize("lib", LIBRARIES)
def test_layer_takes_its_inputs_by_keyword_symbolically_and_eagerly(lib):
    endpoint = _endpoint_class(lib)
    features = lib.Input((3,), name="features")
    targets = lib.Input((1,), name="targets")
    weights = lib.Input((1,), name="weights")
    logits = lib.layers.Dense(1)(features)
    predictions = endpoint(name="predictions")(
        logits=logits, targets=targets, sample_weight=weights
    )
    model = lib.Model([features, targets, weights], predictions)
    model.compile(optimizer="adam")
    data = [
        np.random.RandomState(0).rand(8, 3).astype("float32"),
        np.ones((8, 1), "float32"),
        np.ones((8, 1), "float32"),
    ]
    history = model.fit(data, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(data, verbose=0).shape == (8, 1)

    layer = endpoint()
    out = layer(logits=np.zeros((2, 1), "float32"), targets=np.ones((2, 1), "float32"))
    np.testing.assert_allclose(np.asarray(out), 0.5)
    np.testing.assert_allclose(float(layer.losses[0]), np.log(2.0), rtol=1e-5)


def test_layer_called_without_any_input_names_the_first_call_argument():
    with pytest.raises(ValueError, match="logits="):
        _endpoint_class(kerascore)()(targets=np.ones((2, 1), "float32"))


@pytest.mark.parametrize("lib", LIBRARIES)
@pytest.mark.parametrize("data_dtype", ["bool", "int64"])
def test_model_inputs_take_the_dtype_of_their_input(lib, data_dtype):
    inputs = lib.Input((5, 4))
    outputs = lib.layers.Dense(1)(lib.layers.LSTM(4)(inputs))
    model = lib.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x = (np.random.RandomState(1).rand(8, 5, 4) > 0.5).astype(data_dtype)
    y = np.ones((8, 1), "float32")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(
        model.predict(x, verbose=0), np.asarray(model(x.astype("float32"))), rtol=1e-5
    )
    assert model(x).dtype == "float32"


# ----------------------------------------------------------------- the VAE of Keras's guide
class Sampling(kerascore.layers.Layer):
    """Draws the latent vector `z` from the encoder's mean and log-variance."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = kerascore.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = kerascore.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + kerascore.ops.exp(0.5 * z_log_var) * epsilon


class VAE(kerascore.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = kerascore.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = kerascore.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = kerascore.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def compile(self, optimizer, kl_weight=1.0, **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        self.kl_weight = kl_weight

    def call(self, inputs):
        return self.decoder(self.encoder(inputs)[2])

    def train_step(self, data):
        ops = kerascore.ops
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(
                    kerascore.losses.binary_crossentropy(data, reconstruction),
                    axis=(1, 2),
                )
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + self.kl_weight * kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {metric.name: metric.result() for metric in self.metrics}


def _vae(latent_dim=2):
    layers = kerascore.layers
    encoder_inputs = kerascore.Input(shape=(8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Flatten()(x)
    x = layers.Dense(8, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = kerascore.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

    latent_inputs = kerascore.Input(shape=(latent_dim,))
    x = layers.Dense(4 * 4 * 4, activation="relu")(latent_inputs)
    x = layers.Reshape((4, 4, 4))(x)
    x = layers.Conv2DTranspose(4, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = kerascore.Model(latent_inputs, decoder_outputs, name="decoder")
    return VAE(encoder, decoder, name="vae")


def test_vae_with_custom_train_step_trains_and_reloads_its_weights(tmp_path):
    images = np.random.RandomState(0).rand(32, 8, 8, 1).astype("float32")
    vae = _vae()
    vae.compile(optimizer=kerascore.optimizers.Adam(), kl_weight=0.5)
    history = vae.fit(images, epochs=1, batch_size=8, verbose=0)
    assert set(history.history) == {"total_loss", "reconstruction_loss", "kl_loss"}
    assert all(np.isfinite(values[0]) for values in history.history.values())
    assert vae.optimizer.iterations.numpy() == 4

    vae(images[:1])  # Keras saves only a built model; a custom train_step does not build it.
    path = str(tmp_path / "vae.weights.h5")
    vae.save_weights(path)
    restored = _vae()
    restored(images[:1])
    restored.load_weights(path)
    z_mean = vae.encoder.predict(images, verbose=0)[0]
    np.testing.assert_allclose(restored.encoder.predict(images, verbose=0)[0], z_mean, rtol=1e-5)
    np.testing.assert_allclose(
        restored.decoder.predict(z_mean, verbose=0),
        vae.decoder.predict(z_mean, verbose=0),
        rtol=1e-5,
    )

    vae.encoder.save(str(tmp_path / "encoder.keras"))
    encoder = kerascore.saving.load_model(
        str(tmp_path / "encoder.keras"), custom_objects={"Sampling": Sampling}
    )
    np.testing.assert_allclose(encoder.predict(images, verbose=0)[0], z_mean, rtol=1e-5)


# ----------------------------------------------------------------- the GAN of Keras's guide
class GAN(kerascore.Model):
    def __init__(self, discriminator, generator, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = kerascore.metrics.Mean(name="d_loss")
        self.g_loss_tracker = kerascore.metrics.Mean(name="g_loss")
        self.seed_generator = kerascore.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = kerascore.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * kerascore.random.uniform(tf.shape(labels), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        random_latent_vectors = kerascore.random.normal(
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


def _gan(latent_dim=4):
    layers = kerascore.layers
    discriminator = kerascore.Sequential(
        [
            kerascore.Input(shape=(8, 8, 1)),
            layers.Conv2D(4, 3, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = kerascore.Sequential(
        [
            kerascore.Input(shape=(latent_dim,)),
            layers.Dense(4 * 4 * 4),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((4, 4, 4)),
            layers.Conv2DTranspose(4, 4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return GAN(discriminator=discriminator, generator=generator, latent_dim=latent_dim)


def test_gan_with_two_optimizers_trains_and_reloads_its_weights(tmp_path):
    images = np.random.RandomState(0).rand(32, 8, 8, 1).astype("float32")
    dataset = tf.data.Dataset.from_tensor_slices(images).shuffle(32, seed=0).batch(8)
    gan = _gan()
    discriminator_before = [w.numpy().copy() for w in gan.discriminator.weights]
    generator_before = [w.numpy().copy() for w in gan.generator.weights]
    gan.compile(
        d_optimizer=kerascore.optimizers.Adam(learning_rate=0.0003),
        g_optimizer=kerascore.optimizers.Adam(learning_rate=0.0003),
        loss_fn=kerascore.losses.BinaryCrossentropy(from_logits=True),
    )
    history = gan.fit(dataset, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(values[0]) for values in history.history.values())
    assert gan.d_optimizer.iterations.numpy() == 4 and gan.g_optimizer.iterations.numpy() == 4
    for before, model in [
        (discriminator_before, gan.discriminator),
        (generator_before, gan.generator),
    ]:
        assert any(not np.allclose(a, b.numpy()) for a, b in zip(before, model.weights))

    # As Keras's guide does: the GAN has no `call`, so its parts are what is saved.
    gan.generator.save(str(tmp_path / "generator.keras"))
    generator = kerascore.saving.load_model(str(tmp_path / "generator.keras"))
    path = str(tmp_path / "discriminator.weights.h5")
    gan.discriminator.save_weights(path)
    discriminator = _gan().discriminator
    discriminator.load_weights(path)
    latent = np.random.RandomState(1).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(
        generator.predict(latent, verbose=0), gan.generator.predict(latent, verbose=0), rtol=1e-5
    )
    np.testing.assert_allclose(
        discriminator.predict(images, verbose=0),
        gan.discriminator.predict(images, verbose=0),
        rtol=1e-5,
    )

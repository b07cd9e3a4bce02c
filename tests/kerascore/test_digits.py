"""Real data: scikit-learn's handwritten digits, an MLP, 80/20 split."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerascore as keras


def test_mlp_reaches_95_percent_on_digits():
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.2, random_state=0, stratify=digits.target
    )
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=-1)
    assert accuracy >= 0.95
    assert abs(np.mean(predicted == y_test) - accuracy) < 1e-6

"""LSTM and GRU classifiers on a task that needs word order.

Each sequence holds random filler tokens and two marker tokens, A and B, once each. The label
is 1 when A comes before B. Both markers are in every sequence, so a bag-of-features model
(embeddings averaged by GlobalAveragePooling1D) sees the same counts for both classes and
stays near chance; recurrent layers read the order and learn the task.

Run: python examples/lstm_sequence_classifier.py
"""

import numpy as np

import kerascore as keras

SEQUENCE_LENGTH = 16
VOCAB_SIZE = 12  # 0 is padding, 1 is marker A, 2 is marker B, 3.. are filler
MARKER_A, MARKER_B = 1, 2

keras.utils.set_random_seed(7)


def make_sequences(num_samples, rng):
    """Returns `(x, y)`: int sequences with both markers, label 1 where A precedes B."""
    x = rng.integers(3, VOCAB_SIZE, size=(num_samples, SEQUENCE_LENGTH))
    for row in x:
        position_a, position_b = rng.choice(SEQUENCE_LENGTH, size=2, replace=False)
        row[position_a], row[position_b] = MARKER_A, MARKER_B
    y = (np.argmax(x == MARKER_A, axis=1) < np.argmax(x == MARKER_B, axis=1)).astype("float32")
    return x, y


def build_model(body):
    """Returns an Embedding -> `body` -> sigmoid classifier, compiled."""
    model = keras.Sequential(
        [
            keras.Input(shape=(SEQUENCE_LENGTH,), dtype="int32"),
            keras.layers.Embedding(VOCAB_SIZE, 16),
            body,
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-2),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


rng = np.random.default_rng(0)
x_train, y_train = make_sequences(3000, rng)
x_test, y_test = make_sequences(1000, rng)

bodies = {
    "LSTM": keras.layers.LSTM(32),
    "GRU": keras.layers.GRU(32),
    "Bag of features": keras.layers.GlobalAveragePooling1D(),
}
results = {}
for name, body in bodies.items():
    model = build_model(body)
    model.fit(x_train, y_train, batch_size=64, epochs=10, validation_split=0.1, verbose=0)
    _, results[name] = model.evaluate(x_test, y_test, verbose=0)

for name, accuracy in results.items():
    print(f"{name} test accuracy: {accuracy:.4f}")

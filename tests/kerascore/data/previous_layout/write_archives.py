"""Writes the `.keras` archives that `test_previous_layout.py` loads, with their inputs and
expected predictions (`<name>.npz`: `x0, x1, ...` inputs, `y` predictions).

Run once on the layout being replaced; the files are committed as test data, so a later layout
must load what this one wrote.
"""

from pathlib import Path

import numpy as np

import kerascore as keras

HERE = Path(__file__).parent


@keras.saving.register_keras_serializable(package="previous_layout")
class Scale(keras.layers.Layer):
    """Multiplies its input by one trainable scalar (a custom registered layer)."""

    def __init__(self, initial=2.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.initial), name="scale"
        )

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


def sequential_model():
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(2),
            keras.layers.Reshape((9, 4)),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.GRU(4),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def functional_model():
    query = keras.Input((6, 8), name="query")
    value = keras.Input((5, 8), name="value")
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(query, value)
    dot = keras.layers.Attention()([query, value])
    merged = keras.layers.Add()([attended, dot])
    merged = keras.layers.Concatenate()([merged, query])
    merged = keras.layers.LayerNormalization()(merged)
    shifted = merged[:, 0] * 2.0 + 1.0 - merged[:, -1]
    joined = keras.ops.concatenate([shifted, -shifted], axis=-1)
    outputs = keras.layers.Dense(2)(keras.layers.Embedding(16, 3)(keras.ops.argmax(joined, -1)))
    return keras.Model([query, value], [joined, outputs])


def custom_model():
    inputs = keras.Input((4,))
    hidden = Scale(1.5)(keras.layers.Dense(3, activation="tanh")(inputs))
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


def write(name, model, inputs, compile_with=None):
    if compile_with:
        model.compile(**compile_with)
        model.fit(
            inputs,
            np.zeros((len(inputs[0]) if isinstance(inputs, list) else len(inputs), 1)),
            epochs=1,
            verbose=0,
        )
    model.save(HERE / f"{name}.keras")
    outputs = model.predict(inputs, verbose=0)
    arrays = {f"x{i}": x for i, x in enumerate(inputs if isinstance(inputs, list) else [inputs])}
    for index, output in enumerate(outputs if isinstance(outputs, list) else [outputs]):
        arrays[f"y{index}"] = output
    np.savez(HERE / f"{name}.npz", **arrays)


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    write("sequential", sequential_model(), rng.normal(size=(4, 8, 8, 3)).astype("float32"))
    write(
        "functional",
        functional_model(),
        [
            rng.normal(size=(3, 6, 8)).astype("float32"),
            rng.normal(size=(3, 5, 8)).astype("float32"),
        ],
    )
    write(
        "custom",
        custom_model(),
        rng.normal(size=(5, 4)).astype("float32"),
        compile_with={"optimizer": "adam", "loss": "mse"},
    )
    for path in sorted(HERE.iterdir()):
        print(path.name, path.stat().st_size)


if __name__ == "__main__":
    main()

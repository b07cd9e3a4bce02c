"""Training throughput: kerascore against Keras 3 and a plain `tf.function` loop, one process.

    python benchmarks/fit_throughput.py [--cases mlp] [--runs 3] [--rows 60000]

Each case trains the same architecture with each implementation on the same synthetic data;
runs alternate between implementations, the first epoch (tracing) is excluded, and the median
samples/s over the runs is printed with the ratios. Nothing here is asserted: it measures.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerascore  # noqa: E402  (first: it keeps Keras out of TensorFlow's import)


def mlp_data(rows):
    rng = np.random.default_rng(0)
    x = rng.random((rows, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=rows)
    return x, y


def build_mlp(lib):
    return lib.Sequential(
        [
            lib.Input((784,)),
            lib.layers.Dense(512, activation="relu"),
            lib.layers.Dense(512, activation="relu"),
            lib.layers.Dense(10, activation="softmax"),
        ]
    )


def time_library_fit(lib, x, y, batch_size, epochs):
    model = build_mlp(lib)
    model.compile(
        optimizer=lib.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    timings = []

    class EpochTimer(lib.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            timings.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=batch_size, epochs=epochs + 1, verbose=0, callbacks=[EpochTimer()])
    return len(x) * epochs / sum(timings[1:])


def time_plain_loop(x, y, batch_size, epochs):
    """The same MLP as raw variables, a GradientTape step and a hand-written Adam."""
    initializer = tf.initializers.GlorotUniform(seed=0)
    shapes = [(784, 512), (512,), (512, 512), (512,), (512, 10), (10,)]
    variables = [
        tf.Variable(initializer(shape) if len(shape) == 2 else tf.zeros(shape)) for shape in shapes
    ]
    first_moments = [tf.Variable(tf.zeros_like(v)) for v in variables]
    second_moments = [tf.Variable(tf.zeros_like(v)) for v in variables]
    step_count = tf.Variable(0.0)

    @tf.function
    def train_step(inputs, labels):
        with tf.GradientTape() as tape:
            hidden = tf.nn.relu(inputs @ variables[0] + variables[1])
            hidden = tf.nn.relu(hidden @ variables[2] + variables[3])
            logits = hidden @ variables[4] + variables[5]
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        gradients = tape.gradient(loss, variables)
        step_count.assign_add(1.0)
        alpha = 1e-3 * tf.sqrt(1 - 0.999**step_count) / (1 - 0.9**step_count)
        for variable, gradient, m, v in zip(variables, gradients, first_moments, second_moments):
            m.assign_add((gradient - m) * 0.1)
            v.assign_add((tf.square(gradient) - v) * 0.001)
            variable.assign_sub(alpha * m / (tf.sqrt(v) + 1e-7))
        return loss

    dataset = (
        tf.data.Dataset.from_tensor_slices((x, y.astype(np.int32)))
        .shuffle(len(x))
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    timings = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        for inputs, labels in dataset:
            train_step(inputs, labels)
        timings.append(time.perf_counter() - start)
    return len(x) * epochs / sum(timings[1:])


def run_mlp(rows, runs, epochs):
    import keras

    x, y = mlp_data(rows)
    results = {"kerascore": [], "keras": [], "tf_loop": []}
    for _ in range(runs):
        results["kerascore"].append(time_library_fit(kerascore, x, y, 128, epochs))
        results["keras"].append(time_library_fit(keras, x, y, 128, epochs))
        results["tf_loop"].append(time_plain_loop(x, y, 128, epochs))
    return {name: statistics.median(values) for name, values in results.items()}


CASES = {"mlp": run_mlp}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="mlp", help=f"comma-separated, from {sorted(CASES)}")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per run")
    args = parser.parse_args(argv)
    print(
        f"TensorFlow {tf.__version__}, kerascore {kerascore.__version__}, "
        f"{os.cpu_count()} CPUs, median of {args.runs} alternating runs"
    )
    print(
        f"{'case':<10}{'kerascore/s':>14}{'keras/s':>12}{'tf loop/s':>12}"
        f"{'vs keras':>10}{'vs loop':>10}"
    )
    for case in args.cases.split(","):
        if case not in CASES:
            sys.exit(f"Unknown case {case!r}; choose from {sorted(CASES)}")
        medians = CASES[case](args.rows, args.runs, args.epochs)
        print(
            f"{case:<10}{medians['kerascore']:>14,.0f}{medians['keras']:>12,.0f}"
            f"{medians['tf_loop']:>12,.0f}{medians['kerascore'] / medians['keras']:>10.2f}"
            f"{medians['kerascore'] / medians['tf_loop']:>10.2f}"
        )


if __name__ == "__main__":
    main()

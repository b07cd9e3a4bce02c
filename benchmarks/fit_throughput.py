"""kerascore against Keras 3 and a plain `tf.function` loop: training throughput, prediction
latency and throughput, evaluation, memory, and import-to-first-step time.

    python benchmarks/fit_throughput.py                    # every case
    python benchmarks/fit_throughput.py --cases mlp,predict_one --runs 3

Throughput cases train the same architecture with each implementation on the same synthetic
data; runs alternate between implementations, the first epoch (tracing) is excluded, and the
median over the runs is printed with the ratios. The plain loop is the same kerascore layers
and optimizer driven by a hand-written `tf.function` step over a `tf.data` pipeline. Memory
and start-up cases run each implementation in a fresh process. Nothing here is asserted.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

# isort: split
import kerascore  # noqa: E402  (before TensorFlow: it keeps Keras out of TensorFlow's import)

# isort: split
import tensorflow as tf  # noqa: E402

# --------------------------------------------------------------------------- architectures


def build_mlp(lib):
    return lib.Sequential(
        [
            lib.Input((784,)),
            lib.layers.Dense(512, activation="relu"),
            lib.layers.Dense(512, activation="relu"),
            lib.layers.Dense(10, activation="softmax"),
        ]
    )


def build_convnet(lib):
    return lib.Sequential(
        [
            lib.Input((28, 28, 1)),
            lib.layers.Conv2D(32, 3, activation="relu"),
            lib.layers.Conv2D(64, 3, activation="relu"),
            lib.layers.MaxPooling2D(2),
            lib.layers.Flatten(),
            lib.layers.Dense(10, activation="softmax"),
        ]
    )


def build_lstm(lib):
    return lib.Sequential(
        [
            lib.Input((40, 32)),
            lib.layers.LSTM(128),
            lib.layers.Dense(10, activation="softmax"),
        ]
    )


ARCHITECTURES = {
    "mlp": (build_mlp, (784,)),
    "convnet": (build_convnet, (28, 28, 1)),
    "lstm": (build_lstm, (40, 32)),
}


def synthetic_data(shape, rows, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((rows, *shape), dtype=np.float32)
    y = rng.integers(0, 10, size=rows)
    return x, y


def compiled(lib, builder):
    model = builder(lib)
    model.compile(
        optimizer=lib.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# --------------------------------------------------------------------------- measurements


def fit_samples_per_second(lib, builder, x, y, batch_size, epochs):
    model = compiled(lib, builder)
    timings = []

    class EpochTimer(lib.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            timings.append(time.perf_counter() - self.start)

    model.fit(x, y, batch_size=batch_size, epochs=epochs + 1, verbose=0, callbacks=[EpochTimer()])
    return len(x) * epochs / sum(timings[1:])


def plain_loop_samples_per_second(builder, x, y, batch_size, epochs):
    """kerascore layers and Adam, stepped by a hand-written compiled function."""
    model = builder(kerascore)
    optimizer = kerascore.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    variables = model.trainable_variables

    @tf.function
    def train_step(inputs, labels):
        with tf.GradientTape() as tape:
            probabilities = model(inputs, training=True)
            picked = tf.gather(probabilities, labels, batch_dims=1)
            loss = -tf.reduce_mean(tf.math.log(picked + 1e-7))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
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


def throughput_case(name, rows, runs, epochs, batch_size):
    import keras

    builder, shape = ARCHITECTURES[name]
    x, y = synthetic_data(shape, rows)
    results = {"kerascore": [], "keras": [], "tf_loop": []}
    for _ in range(runs):
        results["kerascore"].append(
            fit_samples_per_second(kerascore, builder, x, y, batch_size, epochs)
        )
        results["keras"].append(fit_samples_per_second(keras, builder, x, y, batch_size, epochs))
        results["tf_loop"].append(plain_loop_samples_per_second(builder, x, y, batch_size, epochs))
    medians = {key: statistics.median(values) for key, values in results.items()}
    return [
        (
            f"fit {name} (samples/s)",
            medians["kerascore"],
            medians["keras"],
            medians["tf_loop"],
            "higher",
        ),
    ]


def predict_one_case(rows, runs, epochs, batch_size):
    import keras

    x, _ = synthetic_data((784,), 1)
    latencies = {"kerascore": [], "keras": []}
    models = {"kerascore": build_mlp(kerascore), "keras": build_mlp(keras)}
    for model in models.values():
        model.predict(x, verbose=0)
    for _ in range(runs):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(50):
                model.predict(x, verbose=0)
            latencies[name].append((time.perf_counter() - start) / 50 * 1000)
    medians = {key: statistics.median(values) for key, values in latencies.items()}
    return [("predict 1 row (ms)", medians["kerascore"], medians["keras"], None, "lower")]


def predict_many_case(rows, runs, epochs, batch_size):
    return _inference_case("predict", rows, runs)


def evaluate_case(rows, runs, epochs, batch_size):
    return _inference_case("evaluate", rows, runs)


def _inference_case(method, rows, runs):
    import keras

    rows = min(rows, 10000)
    x, y = synthetic_data((784,), rows)
    models = {"kerascore": compiled(kerascore, build_mlp), "keras": compiled(keras, build_mlp)}
    rates = {"kerascore": [], "keras": []}

    def call(model):
        if method == "predict":
            model.predict(x, batch_size=32, verbose=0)
        else:
            model.evaluate(x, y, batch_size=32, verbose=0)

    for model in models.values():
        call(model)
    for _ in range(runs):
        for name, model in models.items():
            start = time.perf_counter()
            call(model)
            rates[name].append(rows / (time.perf_counter() - start))
    medians = {key: statistics.median(values) for key, values in rates.items()}
    return [
        (f"{method} {rows} rows (rows/s)", medians["kerascore"], medians["keras"], None, "higher")
    ]


def _run_child(script):
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


_MEMORY_CHILD = textwrap.dedent(
    """
    import json, time
    START = time.perf_counter()
    import os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    lib = __import__("{library}")
    first_step = {{}}
    class FirstStep(lib.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            first_step.setdefault("seconds", time.perf_counter() - START)
    rng = np.random.default_rng(0)
    x = rng.random(({rows}, 784), dtype=np.float32)
    y = rng.integers(0, 10, size={rows})
    model = lib.Sequential([lib.Input((784,)), lib.layers.Dense(512, activation="relu"),
                            lib.layers.Dense(512, activation="relu"),
                            lib.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=128, epochs={epochs}, verbose=0, callbacks=[FirstStep()])
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork/exec.
    with open("/proc/self/status") as status:
        peak_mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(json.dumps({{"peak_mb": peak_mb, "first_step_s": first_step["seconds"]}}))
    """
)


def memory_case(rows, runs, epochs, batch_size):
    peaks = {"kerascore": [], "keras": []}
    starts = {"kerascore": [], "keras": []}
    for _ in range(runs):
        for library in ("kerascore", "keras"):
            report = _run_child(_MEMORY_CHILD.format(library=library, rows=rows, epochs=2))
            peaks[library].append(report["peak_mb"])
            starts[library].append(report["first_step_s"])
    return [
        (
            "peak RSS during fit (MB)",
            statistics.median(peaks["kerascore"]),
            statistics.median(peaks["keras"]),
            None,
            "lower",
        ),
        (
            "import to first step (s)",
            statistics.median(starts["kerascore"]),
            statistics.median(starts["keras"]),
            None,
            "lower",
        ),
    ]


_MODELS_CHILD = textwrap.dedent(
    """
    import gc, json, os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np
    lib = __import__("{library}")
    def rss_mb():
        with open(f"/proc/{{os.getpid()}}/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024
    rng = np.random.default_rng(0)
    x = rng.random((256, 20), dtype=np.float32)
    y = rng.integers(0, 3, size=256)
    marks = {{}}
    for index in range(1, 101):
        model = lib.Sequential([lib.Input((20,)), lib.layers.Dense(32, activation="relu"),
                                lib.layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)
        if index in (10, 100):
            gc.collect()
            marks[str(index)] = rss_mb()
    print(json.dumps(marks))
    """
)


def models_in_a_loop_case(rows, runs, epochs, batch_size):
    growth = {}
    for library in ("kerascore", "keras"):
        marks = _run_child(_MODELS_CHILD.format(library=library))
        growth[library] = marks["100"] - marks["10"]
        print(
            f"  {library}: RSS after model 10 {marks['10']:.0f} MB, after model 100 "
            f"{marks['100']:.0f} MB"
        )
    return [("RSS growth, models 10→100 (MB)", growth["kerascore"], growth["keras"], None, "lower")]


CASES = {
    "mlp": lambda rows, runs, epochs, batch: throughput_case("mlp", rows, runs, epochs, batch),
    "convnet": lambda rows, runs, epochs, batch: throughput_case(
        "convnet", max(rows // 10, 1280), runs, epochs, batch
    ),
    "lstm": lambda rows, runs, epochs, batch: throughput_case(
        "lstm", max(rows // 10, 1280), runs, epochs, batch
    ),
    "predict_one": predict_one_case,
    "predict_many": predict_many_case,
    "evaluate": evaluate_case,
    "memory": memory_case,
    "models_loop": models_in_a_loop_case,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated, from {list(CASES)}"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--rows", type=int, default=60000, help="rows for the MLP (convnet and LSTM use a tenth)"
    )
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per run")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    print(
        f"TensorFlow {tf.__version__}, kerascore {kerascore.__version__}, "
        f"{os.cpu_count()} CPUs, median of {args.runs} alternating runs, "
        f"batch {args.batch_size}"
    )
    header = f"{'case':<34}{'kerascore':>12}{'keras':>12}{'tf loop':>12}{'vs keras':>10}"
    print(header + f"{'vs loop':>10}")
    for case in args.cases.split(","):
        if case not in CASES:
            sys.exit(f"Unknown case {case!r}; choose from {list(CASES)}")
        for label, ours, keras_value, loop_value, better in CASES[case](
            args.rows, args.runs, args.epochs, args.batch_size
        ):
            versus_keras = ours / keras_value if keras_value else float("nan")
            versus_loop = f"{ours / loop_value:>10.2f}" if loop_value else f"{'—':>10}"
            loop_text = f"{loop_value:>12,.1f}" if loop_value else f"{'—':>12}"
            print(
                f"{label:<34}{ours:>12,.1f}{keras_value:>12,.1f}{loop_text}"
                f"{versus_keras:>10.2f}{versus_loop}   ({better} is better)",
                flush=True,
            )


if __name__ == "__main__":
    main()

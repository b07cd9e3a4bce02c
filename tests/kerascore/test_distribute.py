"""MirroredStrategy over two logical CPUs trains exactly like one device (own process: logical
devices must be configured before TensorFlow initializes)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    import kerascore as keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 3, size=64)

    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(0.05),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    single = build()
    single_history = single.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                                class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        mirrored = build()
    mirrored_history = mirrored.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                                    class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    print(json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "single": single_history.history,
        "mirrored": mirrored_history.history,
        "weights_gap": max(float(np.abs(a - b).max())
                           for a, b in zip(single.get_weights(), mirrored.get_weights())),
        "evaluate": [single.evaluate(x, y, verbose=0), mirrored.evaluate(x, y, verbose=0)],
    }))
    """
)


def test_mirrored_strategy_matches_single_device():
    import json

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    for name, values in report["single"].items():
        for a, b in zip(values, report["mirrored"][name]):
            assert abs(a - b) < 1e-5, (name, report)
    assert report["weights_gap"] < 1e-5
    single_eval, mirrored_eval = report["evaluate"]
    assert all(abs(a - b) < 1e-5 for a, b in zip(single_eval, mirrored_eval))

"""Sweeps: ASHA against random search over the same configurations of the digits model.

Usage:
    python benchmarks/sweep_asha.py [--url URL --key KEY] [--trials 16] [--epochs 9]
        [--concurrent 4] [--seed 0]

Without a URL (or HORN_URL / HORN_API_KEY in the environment) it starts its own `horn up` in a
temporary data dir (as `service_latency.py` does) and stops it afterwards. It uploads
scikit-learn's digits and the README's digits model (hyperparameters `units` and `lr`), then
runs one space over units and learning rate twice, with the same searcher seed so that the same
configurations are drawn: `random` (every trial trains every epoch) and `asha` (min_epochs 1,
reduction_factor 3). Each trial trains with the same training seed, so a configuration learns
the same way in both sweeps. Prints the epochs each sweep trained (the sum of its trials' last
epochs), its wall time and its best val_accuracy. Goals (issue 14): ASHA trains fewer than half
the epochs of random search, and its best accuracy is within 1 point of random search's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service_latency import horn_up  # noqa: E402

from server.client import Horn, Sweep  # noqa: E402

# The README tour's model: build_model reads hparams `units` and `lr`.
MODEL_SOURCE = """
import kerascore as keras

def build_model(hparams):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hparams.get("units", 128), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(hparams.get("lr", 1e-3)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""
SPACE = {
    "units": {"type": "choice", "values": [8, 16, 32, 64, 128]},
    "lr": {"type": "loguniform", "low": 1e-4, "high": 1e-1},
}


def digits_npz(folder: Path) -> Path:
    """scikit-learn's digits as `x` (pixels scaled to [0, 1]) and `y`, as the README builds it."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    path = folder / "digits.npz"
    np.savez(path, x=(digits.data / 16).astype("float32"), y=digits.target)
    return path


def run_sweep(horn: Horn, model_id: str, dataset_id: str, searcher: dict, args) -> tuple:
    """Runs one sweep to its end; returns it and its wall time in seconds."""
    started = time.perf_counter()
    sweep = horn.create_sweep(
        model_id,
        dataset_id,
        SPACE,
        searcher=searcher,
        metric="val_accuracy",
        mode="max",
        max_trials=args.trials,
        max_concurrent_trials=args.concurrent,
        training={"epochs": args.epochs, "batch_size": 32, "validation_split": 0.2, "seed": 0},
        name=f"benchmark-{searcher['name']}",
    )
    sweep = horn.wait_sweep(sweep.id, timeout=args.timeout)
    return sweep, time.perf_counter() - started


def epochs_trained(sweep: Sweep) -> int:
    return sum(trial.epoch for trial in sweep.trials)


def epochs_past_rungs(sweep: Sweep, epochs: int) -> int:
    """Epochs the stopped trials trained after the rung that stopped them (the decision lands
    while the runner goes on training)."""
    settings = sweep.searcher
    rungs, rung = [], settings["min_epochs"]
    while rung < epochs:
        rungs.append(rung)
        rung *= settings["reduction_factor"]
    return sum(
        trial.epoch - max((r for r in rungs if r <= trial.epoch), default=trial.epoch)
        for trial in sweep.trials
        if trial.stopped_early
    )


def best_accuracy(sweep: Sweep) -> float:
    return sweep.best_trial.best_metric if sweep.best_trial else float("nan")


def run(url: str, key: str, args) -> None:
    with Horn(url, key, timeout=60) as horn, tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / "model.py"
        model_path.write_text(MODEL_SOURCE)
        dataset = horn.push_dataset(digits_npz(Path(folder)))
        model = horn.push_model(model_path)
        results = {}
        for searcher in (
            {"name": "random", "seed": args.seed},
            {"name": "asha", "seed": args.seed, "min_epochs": 1, "reduction_factor": 3},
        ):
            sweep, wall_s = run_sweep(horn, model.id, dataset.id, searcher, args)
            results[searcher["name"]] = (sweep, wall_s)
            print(
                f"{searcher['name']}: {sweep.id} {sweep.status} ({sweep.reason}), "
                f"{len(sweep.trials)} trials, {epochs_trained(sweep)} epochs, {wall_s:.1f} s",
                flush=True,
            )

    random_sweep, random_s = results["random"]
    asha_sweep, asha_s = results["asha"]
    drawn = [
        [trial.hyperparameters for trial in sorted(sweep.trials, key=lambda t: t.index)]
        for sweep in (random_sweep, asha_sweep)
    ]
    print(
        f"\n{args.trials} trials of up to {args.epochs} epochs, {args.concurrent} at a time; "
        f"the same configurations in both sweeps: {'yes' if drawn[0] == drawn[1] else 'NO'}"
    )
    print(f"{'':28}{'random':>12}{'asha':>12}")
    rows = [
        ("epochs trained", epochs_trained(random_sweep), epochs_trained(asha_sweep)),
        ("wall time (s)", f"{random_s:.1f}", f"{asha_s:.1f}"),
        (
            "best val_accuracy",
            f"{best_accuracy(random_sweep):.4f}",
            f"{best_accuracy(asha_sweep):.4f}",
        ),
        (
            "trials stopped early",
            random_sweep.counts.get("stopped_early", 0),
            asha_sweep.counts.get("stopped_early", 0),
        ),
    ]
    for label, random_value, asha_value in rows:
        print(f"{label:28}{random_value!s:>12}{asha_value!s:>12}")
    print(
        f"epochs ASHA's stopped trials trained past their stopping rung: "
        f"{epochs_past_rungs(asha_sweep, args.epochs)}"
    )
    ratio = epochs_trained(asha_sweep) / max(1, epochs_trained(random_sweep))
    difference = 100 * (best_accuracy(asha_sweep) - best_accuracy(random_sweep))
    print(f"ASHA / random epochs: {ratio:.2f}   [goal < 0.5]")
    print(f"ASHA / random wall time: {asha_s / random_s:.2f}")
    print(f"best accuracy, ASHA - random: {difference:+.2f} points   [goal within 1 point]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("HORN_URL"))
    parser.add_argument("--key", default=os.environ.get("HORN_API_KEY"))
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=9)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="Seconds per sweep.")
    args = parser.parse_args()
    if args.url and args.key:
        run(args.url, args.key, args)
        return
    with horn_up() as (url, key):
        print(f"started horn up at {url}", flush=True)
        run(url, key, args)


if __name__ == "__main__":
    main()

"""How much of Keras 3's public API kerascore offers, namespace by namespace.

Prints a table and the missing names (`pytest tests/kerascore/test_namespace_report.py -s`),
and fails when a namespace covers fewer Keras names than `COVERED_FLOOR` records, i.e. when
someone removes a public name. With `HORN_WRITE_KERAS_COVERAGE=1` it also rewrites
`docs/keras_coverage.md`.
"""

import importlib
import os
import pathlib
import types

NAMESPACES = (
    "keras",
    "keras.layers",
    "keras.ops",
    "keras.losses",
    "keras.metrics",
    "keras.optimizers",
    "keras.callbacks",
    "keras.utils",
    "keras.random",
    "keras.datasets",
)

# Keras names kerascore covered when this was measured (Keras 3.15.1); raise them as names land.
COVERED_FLOOR = {
    "keras": 22,
    "keras.layers": 172,
    "keras.ops": 337,
    "keras.losses": 48,
    "keras.metrics": 72,
    "keras.optimizers": 21,
    "keras.callbacks": 15,
    "keras.utils": 38,
    "keras.random": 11,
    "keras.datasets": 8,
}

# Every Keras name kerascore does not offer, with the reason. The test fails for a missing name
# without a reason, and for a reason whose name kerascore has since gained.
NOT_BUILT = {
    "keras": {
        "StatelessScope": "kerascore's weights are plain tf.Variables: reads cannot be redirected "
        "nor writes caught inside a scope (JAX-style stateless calls)",
        "SymbolicScope": "nothing in kerascore branches on it: an empty flag would only pretend",
    },
    "keras.layers": {
        "FlaxLayer": "wraps a Flax module: needs the JAX backend",
        "JaxLayer": "wraps JAX functions and parameters: needs the JAX backend",
        "TorchModuleWrapper": "wraps a torch.nn.Module: needs the PyTorch backend",
    },
    "keras.callbacks": {
        "OrbaxCheckpoint": "saves JAX state with the Orbax library; `ModelCheckpoint` and "
        "`BackupAndRestore` are the TensorFlow-backend counterparts",
    },
}

# The goal per namespace (issue 17): every name built or given a reason, ops at least 90 %.
EVERY_NAME = (
    "keras.layers",
    "keras.losses",
    "keras.metrics",
    "keras.optimizers",
    "keras.callbacks",
    "keras.utils",
    "keras.random",
    "keras.datasets",
)
OPS_GOAL = 0.90

DOC_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "keras_coverage.md"


def keras_public_names(module):
    """Public names of a Keras namespace, without its submodules.

    `keras.datasets` holds nothing but submodules (`mnist`, `cifar10`, ...), so there the
    submodules are the names.
    """
    public = {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
    names = sorted(n for n, value in public.items() if not isinstance(value, types.ModuleType))
    return names or sorted(public)


def kerascore_namespace(keras_name):
    """The matching kerascore module, or None while kerascore has no such namespace."""
    try:
        return importlib.import_module("kerascore" + keras_name[len("keras") :])
    except ModuleNotFoundError:
        return None


def measure():
    """`{namespace: (keras_names, missing_names)}` for every namespace in `NAMESPACES`."""
    report = {}
    for keras_name in NAMESPACES:
        names = keras_public_names(importlib.import_module(keras_name))
        ours = kerascore_namespace(keras_name)
        missing = [name for name in names if ours is None or not hasattr(ours, name)]
        report[keras_name] = (names, missing)
    return report


def render_markdown(report, keras_version):
    total = sum(len(names) for names, _ in report.values())
    total_covered = sum(len(names) - len(missing) for names, missing in report.values())
    lines = [
        "# Keras 3 API coverage of kerascore",
        "",
        f"Measured against the installed Keras {keras_version}: for each namespace, its public",
        "names (`dir()` without `_` names and without submodules; for `keras.datasets`, whose",
        "names are all submodules, the dataset modules) and how many of them the matching",
        "`kerascore` namespace has (`hasattr`).",
        "",
        "Regenerate this file (and print the same report) with:",
        "",
        "```",
        "HORN_WRITE_KERAS_COVERAGE=1 python -m pytest tests/kerascore/test_namespace_report.py \\",
        "    -q -s -p no:cacheprovider",
        "```",
        "",
        "The test fails when a namespace covers fewer names than its `COVERED_FLOOR` entry;",
        "raise the floor there when names are added.",
        "",
        "| namespace | Keras names | kerascore has | coverage |",
        "|---|---:|---:|---:|",
    ]
    for keras_name, (names, missing) in report.items():
        covered = len(names) - len(missing)
        lines.append(
            f"| `{keras_name}` | {len(names)} | {covered} | {100 * covered / len(names):.1f} % |"
        )
    lines.append(f"| **all** | {total} | {total_covered} | {100 * total_covered / total:.1f} % |")
    lines += ["", "## Missing names, each with the reason", ""]
    for keras_name, (_, missing) in report.items():
        if not missing:
            lines.append(f"- `{keras_name}`: none")
            continue
        lines.append(f"- `{keras_name}` ({len(missing)}):")
        reasons = NOT_BUILT.get(keras_name, {})
        for name in missing:
            lines.append(f"  - `{name}`: {reasons.get(name, 'not built yet (no reason given)')}")
    return "\n".join(lines) + "\n"


def test_keras_namespace_coverage_does_not_drop():
    import keras

    report = measure()
    markdown = render_markdown(report, keras.__version__)
    print("\n" + markdown)
    if os.environ.get("HORN_WRITE_KERAS_COVERAGE") == "1":
        DOC_PATH.write_text(markdown)

    dropped = {
        keras_name: (len(names) - len(missing), COVERED_FLOOR[keras_name])
        for keras_name, (names, missing) in report.items()
        if len(names) - len(missing) < COVERED_FLOOR[keras_name]
    }
    assert not dropped, (
        "kerascore lost public Keras names; (covered now, floor) per namespace: "
        f"{dropped}. Missing names are listed in the printed report (pytest -s)."
    )


def test_every_missing_name_has_a_reason_and_the_goals_hold():
    report = measure()
    unexplained = {
        keras_name: sorted(set(missing) - set(NOT_BUILT.get(keras_name, {})))
        for keras_name, (_, missing) in report.items()
    }
    assert not any(unexplained.values()), f"missing without a reason: {unexplained}"
    stale = {
        keras_name: sorted(set(reasons) - set(report[keras_name][1]))
        for keras_name, reasons in NOT_BUILT.items()
    }
    assert not any(stale.values()), f"reasons for names kerascore now has: {stale}"
    for keras_name in EVERY_NAME:
        names, missing = report[keras_name]
        assert set(missing) <= set(NOT_BUILT.get(keras_name, {})), keras_name
    ops_names, ops_missing = report["keras.ops"]
    assert (len(ops_names) - len(ops_missing)) / len(ops_names) >= OPS_GOAL

"""Writes public_names.json: every public name of every public kerascore module.

Run once on the layout before a move (`python tests/kerascore/data/previous_layout/
record_public_names.py`); `tests/kerascore/test_public_names.py` then checks that each recorded
name still resolves. Submodule attributes (`kerascore.layers.conv`) are layout, not API, and
are left out.
"""

import json
import types
from pathlib import Path

import kerascore

PUBLIC_MODULES = [
    "kerascore",
    "kerascore.activations",
    "kerascore.backend",
    "kerascore.callbacks",
    "kerascore.constraints",
    "kerascore.initializers",
    "kerascore.layers",
    "kerascore.losses",
    "kerascore.metrics",
    "kerascore.mixed_precision",
    "kerascore.models",
    "kerascore.ops",
    "kerascore.ops.image",
    "kerascore.ops.linalg",
    "kerascore.ops.nn",
    "kerascore.ops.numpy",
    "kerascore.optimizers",
    "kerascore.optimizers.schedules",
    "kerascore.random",
    "kerascore.regularizers",
    "kerascore.saving",
    "kerascore.testing",
    "kerascore.utils",
]


def public_names(module):
    return sorted(
        set(getattr(module, "__all__", ()))
        | {
            name
            for name in dir(module)
            if not name.startswith("_")
            and not isinstance(getattr(module, name), types.ModuleType)
            and _defined_under(getattr(module, name), module.__name__)
        }
    )


def _defined_under(value, module_name):
    home = getattr(value, "__module__", None)
    if not (isinstance(value, type) or callable(value)) or home is None:
        return True
    return home == module_name or home.startswith(module_name + ".")


def main():
    import importlib

    record = {name: public_names(importlib.import_module(name)) for name in PUBLIC_MODULES}
    target = Path(__file__).with_name("public_names.json")
    target.write_text(json.dumps(record, indent=1) + "\n")
    print(f"{target}: {sum(map(len, record.values()))} names in {len(record)} modules")


if __name__ == "__main__":
    assert kerascore.__version__
    main()

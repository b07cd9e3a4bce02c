"""What the layout before a move wrote must still work: archives load and predict the same,
and every public name it had still resolves (data in data/previous_layout/, written there by
its two scripts on that layout)."""

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

import kerascore as keras

DATA = Path(__file__).parent / "data" / "previous_layout"


@keras.saving.register_keras_serializable(package="previous_layout")
class Scale(keras.layers.Layer):
    """The custom layer of `custom.keras`, as the writing script registered it."""

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


@pytest.mark.parametrize("name", ["sequential", "functional", "custom"])
def test_archive_of_previous_layout_loads_and_predicts_the_same(name):
    model = keras.models.load_model(DATA / f"{name}.keras")
    arrays = np.load(DATA / f"{name}.npz")
    inputs = [arrays[key] for key in sorted(arrays.files) if key.startswith("x")]
    expected = [arrays[key] for key in sorted(arrays.files) if key.startswith("y")]
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    assert len(outputs) == len(expected)
    for output, reference in zip(outputs, expected):
        np.testing.assert_allclose(output, reference, atol=1e-6)


def test_every_public_name_of_previous_layout_still_resolves():
    recorded = json.loads((DATA / "public_names.json").read_text())
    missing = [
        f"{module}.{name}"
        for module, names in recorded.items()
        for name in names
        if not hasattr(importlib.import_module(module), name)
    ]
    assert not missing, f"public names lost in the move: {missing}"

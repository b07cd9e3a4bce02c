"""The old home of the `Layer` base, which lives in `kerascore.layers.layer` now; kept so that
`from kerascore.models.layer import Layer` in existing code still works."""

from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer, clear_session

__all__ = ["InputSpec", "Layer", "clear_session"]

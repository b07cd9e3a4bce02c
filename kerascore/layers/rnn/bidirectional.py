"""`Bidirectional`: runs an RNN forwards and backwards."""

import copy

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.layers.rnn.cell_utils import several_shapes
from kerascore.saving.serialization import (
    deserialize_keras_object,
    register_builtin,
    serialize_keras_object,
)


def _clone_layer(layer, name, go_backwards=None):
    config = copy.deepcopy(layer.get_config())
    config["name"] = name
    if go_backwards is not None:
        config["go_backwards"] = go_backwards
    return type(layer).from_config(config)


def _strip_prefix(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


@register_builtin
class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    Args:
        layer: an RNN layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`) to run forwards; it is
            copied (weights are not shared with `layer`).
        merge_mode: `"concat"` (default), `"sum"`, `"mul"`, `"ave"`, or None for a list
            `[forward, backward]`.
        backward_layer: optional layer for the backward direction (`go_backwards=True`),
            otherwise a copy of `layer` going backwards.

    Call arguments:
        sequences, initial_state (forward states then backward states), mask, training.

    Example:
        layer = keras.layers.Bidirectional(keras.layers.LSTM(4))
        layer(np.ones((2, 5, 3))).shape  # (2, 8)
    """

    _MERGE_MODES = ("sum", "mul", "ave", "concat", None)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a layer instance. "
                f"Received: layer={layer!r}"
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` needs to be a layer instance. "
                f"Received: backward_layer={backward_layer!r}"
            )
        if merge_mode not in self._MERGE_MODES:
            raise ValueError(
                "Invalid merge mode: expected one of {'sum', 'mul', 'ave', 'concat', None}. "
                f"Received: merge_mode={merge_mode!r}"
            )
        super().__init__(**kwargs)
        self.forward_layer = _clone_layer(layer, f"forward_{_strip_prefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _clone_layer(
                layer,
                f"backward_{_strip_prefix(layer.name, 'backward_')}",
                go_backwards=not layer.go_backwards,
            )
        self.backward_layer = backward_layer
        self._verify_layer_config()
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Forward layer and backward layer should have different `go_backwards` "
                f"values. Received: forward_layer.go_backwards={forward.go_backwards}, "
                f"backward_layer.go_backwards={backward.go_backwards}"
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward_value = getattr(forward, attribute)
            backward_value = getattr(backward, attribute)
            if forward_value != backward_value:
                raise ValueError(
                    "Forward layer and backward layer are expected to have the same value for "
                    f"attribute `{attribute}`. Received: {forward_value} for the forward layer "
                    f"and {backward_value} for the backward layer."
                )

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._maybe_build(tuple(sequences_shape))
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs = {"training": training, "mask": mask}
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = tf.reverse(y_rev, [1])
        if self.merge_mode == "concat":
            output = tf.concat([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            head = output if self.merge_mode is None else [output]
            return [*head, *states]
        return output

    def reset_states(self):
        """Resets the states of both directions of a stateful layer."""
        self.reset_state()

    def reset_state(self):
        """Resets the states of both directions of a stateful layer."""
        if not self.stateful:
            raise AttributeError(
                f"Layer '{self.name}' is not stateful; only a Bidirectional layer wrapping a "
                "stateful RNN has states to reset."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        state_shapes = []
        if self.return_state:
            output_shape, state_shapes = output_shape[0], list(output_shape[1:])
        if self.merge_mode == "concat":
            last = None if output_shape[-1] is None else output_shape[-1] * 2
            output_shape = (*output_shape[:-1], last)
        if self.merge_mode is None:
            head = [tuple(output_shape), tuple(output_shape)]
        else:
            head = [tuple(output_shape)]
        if self.return_state:
            return several_shapes([*head, *state_shapes, *state_shapes])
        return several_shapes(head) if self.merge_mode is None else head[0]

    def compute_mask(self, inputs, previous_mask):
        mask = previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask
        output_mask = mask if self.return_sequences else None
        head = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            count = len(tf.nest.flatten(self.forward_layer.state_size)) * 2
            return [*head, *([None] * count)]
        return head if self.merge_mode is None else output_mask

    def get_config(self):
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects)
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_keras_object(
                config["backward_layer"], custom_objects
            )
        return cls(**config)

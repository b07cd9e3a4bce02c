"""`Model`: a layer that trains. Functional (`Model(inputs, outputs)`) or subclassed (`call`)."""

import inspect

import tensorflow as tf

from kerascore.layers.layer import Layer, _tupled_shape
from kerascore.saving.serialization import register_builtin
from kerascore.training.trainer import Trainer


@register_builtin
class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features.

    Two ways to make one:
    - the functional API: `Model(inputs, outputs)` with tensors from `keras.Input`;
    - subclassing: define layers in `__init__` and the forward pass in `call`.

    Example:
        inputs = keras.Input(shape=(32,))
        outputs = keras.layers.Dense(1)(inputs)
        model = keras.Model(inputs, outputs)
    """

    def __new__(cls, *args, **kwargs):
        # `Model(inputs, outputs)` is a `Functional`; a subclass becomes functional only when
        # its own `__init__` passes inputs and outputs on to `Model.__init__` (see there).
        if cls is Model and functional_init_arguments(args, kwargs):
            from kerascore.models.functional import Functional

            cls = Functional
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if functional_init_arguments(args, kwargs):
            from kerascore.models.functional import Functional

            if not isinstance(self, Functional):
                # As Keras does: what `Model.__init__` itself receives decides, not the
                # arguments of the subclass's constructor (`VAE(encoder, decoder)`).
                self.__class__ = _functional_variant(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        if args:
            raise ValueError(
                f"Model() received unexpected positional arguments {args!r}. Pass `inputs` and "
                "`outputs` for a functional model, or subclass Model and define `call`."
            )
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    @property
    def layers(self):
        return self._layers

    def get_layer(self, name=None, index=None):
        """Returns a layer by `name` or by position `index` in `layers`.

        Raises:
            ValueError: if no layer has that name or the index is out of range.
        """
        if isinstance(name, int) and index is None:
            name, index = None, name
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"Model '{self.name}' has {len(self.layers)} layers. Received: index={index}"
                )
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named '{name}' in model '{self.name}'. Layers: "
            f"{[layer.name for layer in self.layers]}"
        )

    def build(self, input_shape):
        """Builds a subclassed model by tracing `call` on a symbolic input of `input_shape`."""
        if self.built:
            return
        from kerascore.models.functional import trace_output_spec

        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], list):
            input_shape = [tuple(s) for s in input_shape]
        self.built = True
        self._build_shapes = input_shape
        try:
            trace_output_spec(self, input_shape)
        except Exception:
            self.built = False
            raise

    def _maybe_build(self, input_shapes):
        if self.built:
            return
        self._build_shapes = input_shapes
        self.built = True

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self.build(_tupled_shape(config["input_shape"]))

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        """Prints a table of the layers, their output shapes and parameter counts."""
        from kerascore.models.summary import print_summary

        print_summary(
            self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable
        )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a model; a functional config (with `layers` and `input_layers`) gives a
        functional model of this class, as `keras.Model.from_config` does."""
        if "layers" in config and "input_layers" in config:
            from kerascore.models.functional import Functional

            return Functional.from_config.__func__(cls, config, custom_objects=custom_objects)
        return super().from_config(config)

    def get_config(self):
        """The config of a subclassed model: the base fields when `__init__` takes none."""
        init_params = inspect.signature(type(self).__init__).parameters
        own_args = [
            name
            for name, p in init_params.items()
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
        if own_args and type(self).get_config is Model.get_config:
            raise NotImplementedError(
                f"Model '{self.name}' of class {type(self).__name__} takes arguments "
                f"{own_args} in __init__, so it must implement get_config() returning them to be "
                "saved or cloned."
            )
        return {"name": self.name, "trainable": self.trainable}

    def save(self, filepath, overwrite=True, **kwargs):
        """Saves the model (config, weights, optimizer state) to a `.keras` archive."""
        from kerascore import saving

        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights to a `.weights.h5` file."""
        from kerascore import saving

        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Loads weights saved by `save_weights` (or a `.keras` archive's weights)."""
        from kerascore import saving

        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath, format="tf_saved_model", verbose=True):
        """Writes a TensorFlow SavedModel with a `serving_default` signature."""
        if format != "tf_saved_model":
            raise ValueError(f"Expected format='tf_saved_model'. Received: format={format!r}")
        inputs = getattr(self, "inputs", None)
        if not inputs:
            raise ValueError(
                f"Model '{self.name}' has no known input signature; call it on data or use a "
                "functional or Sequential model with an Input before exporting."
            )
        specs = [tf.TensorSpec(t.shape, t.dtype, name=t.name) for t in inputs]
        module = tf.Module()
        module.variables_list = list(self.weights)

        @tf.function(input_signature=specs)
        def serve(*args):
            return self(list(args) if len(args) > 1 else args[0], training=False)

        module.serve = serve
        tf.saved_model.save(module, filepath, signatures={"serving_default": serve})
        if verbose:
            print(f"Saved artifact at '{filepath}'.")


_FUNCTIONAL_VARIANTS = {}


def functional_init_arguments(args, kwargs):
    """Whether `Model.__init__` received a functional model's `inputs` and `outputs`."""
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def _functional_variant(cls):
    """`cls` mixed with `Functional`, for a Model subclass called with inputs and outputs
    (its `train_step` and other overrides kept, the layer graph from the functional API)."""
    from kerascore.models.functional import Functional

    if cls not in _FUNCTIONAL_VARIANTS:
        variant = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__})
        variant._registered_name = getattr(cls, "_registered_name", cls.__name__)
        _FUNCTIONAL_VARIANTS[cls] = variant
    return _FUNCTIONAL_VARIANTS[cls]

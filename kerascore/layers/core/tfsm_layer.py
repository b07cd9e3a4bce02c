"""`TFSMLayer`: a TensorFlow SavedModel's endpoint used as a layer (inference and, through its
variables, fine-tuning)."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin


def _concrete_functions(function):
    if hasattr(function, "concrete_functions"):
        return list(function.concrete_functions)
    if hasattr(function, "get_concrete_function"):
        return [function.get_concrete_function()]
    return [function]


@register_builtin
class TFSMLayer(Layer):
    """Reloads a TensorFlow SavedModel (e.g. from `model.export(path)`) and calls one of its
    endpoints as a layer; the variables the endpoints use become the layer's weights.

    Only the endpoint's graph is reloaded, not Python code: the layer can run inference and
    be fine-tuned, and a model holding it saves its config (the SavedModel's path) and weights.

    Args:
        filepath: the SavedModel directory.
        call_endpoint: the function or signature to call: `"serve"` (what `model.export`
            writes), `"serving_default"`, or another endpoint's name.
        call_training_endpoint: an endpoint to call with `training=True`, or None.
        trainable: whether the reloaded trainable variables are trained.

    Example:
        model.export("exported")
        reloaded = keras.layers.TFSMLayer("exported", call_endpoint="serve")
        reloaded(inputs)
    """

    def __init__(
        self,
        filepath,
        call_endpoint="serve",
        call_training_endpoint=None,
        trainable=True,
        name=None,
        dtype=None,
        **kwargs,
    ):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        filepath = str(filepath)
        if not tf.saved_model.contains_saved_model(filepath):
            raise ValueError(
                f"No TensorFlow SavedModel found at {filepath!r}. Pass the directory that "
                "`model.export()` or `tf.saved_model.save()` wrote. Received: "
                f"filepath={filepath!r}"
            )
        self.filepath = filepath
        self.call_endpoint = call_endpoint
        self.call_training_endpoint = call_training_endpoint
        self._reloaded_obj = tf.saved_model.load(filepath)
        self.call_endpoint_fn = self._endpoint(call_endpoint, "call_endpoint")
        self.call_training_endpoint_fn = (
            self._endpoint(call_training_endpoint, "call_training_endpoint")
            if call_training_endpoint
            else None
        )
        self._adopt_variables()
        self.built = True

    def _endpoint(self, endpoint, argument):
        if hasattr(self._reloaded_obj, endpoint):
            return getattr(self._reloaded_obj, endpoint)
        signatures = getattr(self._reloaded_obj, "signatures", {})
        if endpoint in signatures:
            return signatures[endpoint]
        available = sorted(signatures) + [
            name
            for name in dir(self._reloaded_obj)
            if not name.startswith("_")
            and isinstance(
                getattr(self._reloaded_obj, name, None), tf.types.experimental.GenericFunction
            )
        ]
        raise ValueError(
            f"The SavedModel at {self.filepath!r} has no endpoint {endpoint!r}. Available "
            f"endpoints: {available}. Received: {argument}={endpoint!r}"
        )

    def _adopt_variables(self):
        """Makes the variables the endpoints capture this layer's weights, once each."""
        functions = [self.call_endpoint_fn]
        if self.call_training_endpoint_fn is not None:
            functions.append(self.call_training_endpoint_fn)
        seen = set()
        trainable, non_trainable = [], []
        for function in functions:
            for concrete in _concrete_functions(function):
                for variable in concrete.trainable_variables:
                    if id(variable) not in seen:
                        seen.add(id(variable))
                        trainable.append(variable)
                for variable in concrete.variables:
                    if id(variable) not in seen:
                        seen.add(id(variable))
                        non_trainable.append(variable)
        self._own_trainable.extend(trainable)
        self._own_non_trainable.extend(non_trainable)

    def _untracked_attributes(self):
        return (*super()._untracked_attributes(), "_reloaded_obj")

    def call(self, inputs, training=False, **kwargs):
        function = self.call_endpoint_fn
        if training and self.call_training_endpoint_fn is not None:
            function = self.call_training_endpoint_fn
        if isinstance(inputs, dict):
            outputs = function(**inputs, **kwargs)
        elif isinstance(inputs, (list, tuple)):
            outputs = function(*inputs, **kwargs)
        else:
            outputs = function(inputs, **kwargs)
        # Signatures return a dict of named outputs; a single one is returned bare.
        if isinstance(outputs, dict) and len(outputs) == 1:
            return next(iter(outputs.values()))
        return outputs

    def get_config(self):
        config = super().get_config()
        config.pop("batch_input_shape", None)
        return {
            **config,
            "filepath": self.filepath,
            "call_endpoint": self.call_endpoint,
            "call_training_endpoint": self.call_training_endpoint,
        }

"""What `compile` turns `loss=` and `metrics=` into: per-output losses and metric containers."""

import tensorflow as tf

from kerascore import losses as losses_module
from kerascore import metrics as metrics_module


def _output_names(model, count):
    names = getattr(model, "output_names", None)
    if names and len(names) == count:
        return list(names)
    return [f"output_{i}" for i in range(count)] if count > 1 else ["output"]


def _resolve_loss(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, losses_module.Loss):
        return identifier
    resolved = losses_module.get(identifier)
    if isinstance(resolved, losses_module.Loss):
        return resolved
    if isinstance(resolved, type):
        return resolved()
    name = identifier if isinstance(identifier, str) else getattr(resolved, "__name__", "loss")
    return losses_module.LossFunctionWrapper(resolved, name=name)


def _loss_kind(loss):
    """Returns `sparse`, `categorical`, `binary` or None, for resolving `"accuracy"`."""
    name = ""
    if loss is not None:
        fn = getattr(loss, "fn", None)
        name = (getattr(fn, "__name__", "") or "") + " " + type(loss).__name__.lower()
        name += " " + str(getattr(loss, "name", ""))
    name = name.lower()
    if "sparse" in name and "crossentropy" in name:
        return "sparse"
    if "categorical" in name and "crossentropy" in name:
        return "categorical"
    if "binary" in name and "crossentropy" in name:
        return "binary"
    return None


def _resolve_metric(identifier, loss, y_true_shape, y_pred_shape):
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        kind = _loss_kind(loss)
        if kind is None:
            true_rank, pred_rank = len(y_true_shape), len(y_pred_shape)
            if y_pred_shape[-1] == 1:
                kind = "binary"
            elif true_rank < pred_rank or (y_true_shape[-1] == 1 and (y_pred_shape[-1] or 2) > 1):
                kind = "sparse"
            else:
                kind = "categorical"
        cls = {
            "sparse": metrics_module.SparseCategoricalAccuracy,
            "categorical": metrics_module.CategoricalAccuracy,
            "binary": metrics_module.BinaryAccuracy,
        }[kind]
        return cls(name=identifier)
    if isinstance(identifier, metrics_module.Metric):
        return identifier
    resolved = metrics_module.get(identifier)
    if isinstance(resolved, type):
        resolved = resolved()
    if not isinstance(resolved, metrics_module.Metric):
        name = identifier if isinstance(identifier, str) else resolved.__name__
        resolved = metrics_module.MeanMetricWrapper(resolved, name=name)
    if isinstance(identifier, str):
        resolved.name = identifier
    return resolved


class CompileLoss:
    """The loss of each output, weighted and summed; tracks one mean per output when several."""

    def __init__(self, loss, loss_weights=None):
        self.loss = loss
        self.loss_weights = loss_weights
        self.built = False
        self.per_output = []
        self.output_names = []
        self.trackers = []

    def build(self, model, y_true, y_pred):
        flat_pred = tf.nest.flatten(y_pred)
        names = _output_names(model, len(flat_pred))
        self.output_names = names
        spec = self.loss
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(
                    f"compile(loss=...) names outputs {sorted(unknown)} that the model does not "
                    f"have. Model outputs: {names}"
                )
            losses = [_resolve_loss(spec.get(name)) for name in names]
        elif isinstance(spec, (list, tuple)):
            if len(spec) != len(flat_pred):
                raise ValueError(
                    f"compile(loss=...) got {len(spec)} losses for a model with {len(flat_pred)} "
                    "outputs; give one loss per output."
                )
            losses = [_resolve_loss(item) for item in spec]
        else:
            losses = [_resolve_loss(spec) for _ in flat_pred]
        weights = self.loss_weights
        if weights is None:
            weights = [1.0] * len(flat_pred)
        elif isinstance(weights, dict):
            weights = [float(weights.get(name, 1.0)) for name in names]
        elif isinstance(weights, (int, float)):
            weights = [float(weights)] * len(flat_pred)
        else:
            weights = [float(w) for w in weights]
            if len(weights) != len(flat_pred):
                raise ValueError(
                    f"compile(loss_weights=...) has {len(weights)} entries for "
                    f"{len(flat_pred)} outputs."
                )
        self.per_output = list(zip(names, losses, weights))
        with tf.init_scope():
            if len(flat_pred) > 1:
                self.trackers = [
                    metrics_module.Mean(name=f"{name}_loss")
                    for name, loss, _ in self.per_output
                    if loss is not None
                ]
        self.built = True

    def flatten_targets(self, y_true):
        if isinstance(y_true, dict):
            return [y_true.get(name) for name in self.output_names]
        return tf.nest.flatten(y_true)

    def __call__(self, y_true, y_pred, sample_weight=None):
        flat_true = self.flatten_targets(y_true)
        flat_pred = tf.nest.flatten(y_pred)
        if isinstance(sample_weight, dict):
            flat_weights = [sample_weight.get(name) for name in self.output_names]
        elif isinstance(sample_weight, (list, tuple)):
            flat_weights = list(sample_weight)
        else:
            flat_weights = [sample_weight] * len(flat_pred)
        total = None
        tracker_index = 0
        for (_, loss, weight), target, prediction, sw in zip(
            self.per_output, flat_true, flat_pred, flat_weights
        ):
            if loss is None or target is None:
                continue
            value = loss(target, prediction, sample_weight=sw)
            if self.trackers:
                self.trackers[tracker_index].update_state(value)
                tracker_index += 1
            value = tf.cast(value, tf.float32) * weight
            total = value if total is None else total + value
        if total is None:
            return tf.constant(0.0)
        return total

    def get_config(self):
        from kerascore.saving.serialization import serialize_keras_object

        return serialize_keras_object(self.loss)


class CompileMetrics:
    """All compiled metrics, per output, updated together inside the compiled step."""

    def __init__(self, metrics, loss, model=None, compile_loss=None):
        self.metrics_spec = metrics
        self.loss = loss
        self.model = model
        self.compile_loss = compile_loss
        self.built = False
        self.per_output = []
        self.name = "compile_metrics"

    def build(self, model, y_true, y_pred, compile_loss):
        flat_pred = tf.nest.flatten(y_pred)
        flat_true = compile_loss.flatten_targets(y_true)
        names = compile_loss.output_names or _output_names(model, len(flat_pred))
        spec = self.metrics_spec
        losses = [loss for _, loss, _ in compile_loss.per_output] or [None] * len(flat_pred)
        multi = len(flat_pred) > 1
        if spec is None:
            per_output_spec = [[] for _ in flat_pred]
        elif isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(
                    f"compile(metrics=...) names outputs {sorted(unknown)} that the model does "
                    f"not have. Model outputs: {names}"
                )
            per_output_spec = [_as_list(spec.get(name)) for name in names]
        elif (
            multi
            and isinstance(spec, (list, tuple))
            and spec
            and all(isinstance(item, (list, tuple)) or item is None for item in spec)
        ):
            per_output_spec = [_as_list(item) for item in spec]
        else:
            per_output_spec = [_as_list(spec) for _ in flat_pred]
        with tf.init_scope():
            self.per_output = []
            for index, (name, identifiers) in enumerate(zip(names, per_output_spec)):
                target = flat_true[index] if index < len(flat_true) else None
                if target is None:
                    continue
                true_shape = tuple(target.shape.as_list())
                pred_shape = tuple(flat_pred[index].shape.as_list())
                metrics = []
                for identifier in identifiers:
                    metric = _resolve_metric(identifier, losses[index], true_shape, pred_shape)
                    if multi:
                        metric.name = f"{name}_{metric.name}"
                    metrics.append(metric)
                self.per_output.append((index, metrics))
        self.built = True

    @property
    def metrics(self):
        return [metric for _, metrics in self.per_output for metric in metrics]

    @property
    def variables(self):
        return [v for metric in self.metrics for v in metric.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            compile_loss = self.compile_loss or CompileLoss(None)
            if not compile_loss.built:
                compile_loss.build(self.model, y_true, y_pred)
            self.compile_loss = compile_loss
            self.build(self.model, y_true, y_pred, compile_loss)
        compile_loss = self.compile_loss
        flat_true = compile_loss.flatten_targets(y_true)
        flat_pred = tf.nest.flatten(y_pred)
        for index, metrics in self.per_output:
            weight = sample_weight
            if isinstance(sample_weight, (list, tuple)):
                weight = sample_weight[index]
            elif isinstance(sample_weight, dict) and compile_loss is not None:
                weight = sample_weight.get(compile_loss.output_names[index])
            for metric in metrics:
                metric.update_state(flat_true[index], flat_pred[index], sample_weight=weight)

    def result(self):
        return {metric.name: metric.result() for metric in self.metrics}

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]

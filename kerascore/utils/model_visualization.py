"""`plot_model`: draws a model's layer graph with pydot and graphviz."""

import os

_PYDOT_MESSAGE = (
    "You must install pydot (`pip install pydot`) for `plot_model` and `model_to_dot` to work."
)
_GRAPHVIZ_MESSAGE = (
    "You must install graphviz (the `dot` program, see https://graphviz.org/download/, e.g. "
    "`apt-get install graphviz`) for `plot_model` to render {extension!r} files. Without it, "
    "write the graph source instead with `to_file` ending in '.dot'. Received: to_file={to_file!r}"
)


def _import_pydot():
    try:
        import pydot
    except ImportError as error:
        raise ImportError(_PYDOT_MESSAGE) from error
    return pydot


def _graphviz_available(pydot):
    try:
        pydot.Dot.create(pydot.Dot())
    except (OSError, pydot.PydotException):
        return False
    return True


def _format_shape(tensors):
    shapes = [tuple(tensor.shape) for tensor in tensors]
    if not shapes:
        return "?"
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _layer_label(
    layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable
):
    class_name = type(layer).__name__
    lines = [f"{layer.name} ({class_name})" if show_layer_names else class_name]
    nodes = getattr(layer, "_inbound_nodes", [])
    if show_shapes:
        if class_name == "InputLayer":
            lines.append(f"Output shape: {tuple(layer.batch_shape)}")
        elif nodes:
            lines.append(f"Input shape: {_format_shape(nodes[0].input_tensors)}")
            lines.append(f"Output shape: {_format_shape(nodes[0].output_tensors)}")
    if show_dtype:
        lines.append(f"Output dtype: {getattr(layer, 'dtype', '?')}")
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', type(activation).__name__)}")
    if show_trainable:
        lines.append(f"Trainable: {'yes' if layer.trainable else 'no'}")
    return "\\n".join(lines)


def _graph_of(model):
    """Returns the model's layers and `(parent, child)` layer edges."""
    from kerascore.models.sequential import Sequential

    if isinstance(model, Sequential):
        if model._functional is None:
            raise ValueError(
                f"The Sequential model {model.name!r} has not been built, so its layer graph "
                "is unknown. Give it an `Input` first, or build it by calling it on data."
            )
        model = model._functional
    nodes = getattr(model, "_nodes_in_order", None)
    if nodes is None:
        if not model.built:
            raise ValueError(
                f"The model {model.name!r} has not been built yet. Build it first by calling "
                "`build()` or by calling the model on a batch of data."
            )
        # Subclassed models have no recorded graph: their layers are drawn unconnected.
        return list(model.layers), []
    layers = list(model.layers)
    known = {id(layer) for layer in layers}
    edges = []
    for node in nodes:
        for tensor in node.input_tensors:
            parent = tensor._keras_history[0]
            edge = (parent, node.layer)
            if id(parent) in known and id(node.layer) in known and edge not in edges:
                edges.append(edge)
    return layers, edges


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
):
    """Returns a `pydot.Dot` graph of the model's layers and their connections.

    Args:
        model: A built Functional or Sequential model (a subclassed model's layers are
            drawn without connections).
        show_shapes: Whether to show each layer's input and output shapes.
        show_dtype: Whether to show each layer's dtype.
        show_layer_names: Whether to show layer names (else only class names).
        rankdir: `"TB"` (vertical) or `"LR"` (horizontal).
        dpi: Resolution of rendered images.
        show_layer_activations: Whether to show the activation of layers that have one.
        show_trainable: Whether to show whether each layer is trainable.

    Returns:
        A `pydot.Dot`.

    Raises:
        ImportError: if pydot is not installed.
        ValueError: for an invalid `rankdir` or an unbuilt model.
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"Expected rankdir to be 'TB' or 'LR'. Received: rankdir={rankdir!r}")
    pydot = _import_pydot()
    layers, edges = _graph_of(model)
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi))
    dot.set_node_defaults(shape="box", fontname="Helvetica")
    for layer in layers:
        label = _layer_label(
            layer, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable
        )
        dot.add_node(pydot.Node(str(id(layer)), label=f'"{label}"'))
    for parent, child in edges:
        dot.add_edge(pydot.Edge(str(id(parent)), str(id(child))))
    return dot


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
):
    """Draws the model's layer graph into an image file (or a `.dot` source file).

    Images (`.png`, `.pdf`, `.svg`, ...) need pydot and graphviz; a `.dot` file needs pydot
    only.

    Args:
        model: A built Functional or Sequential model.
        to_file: Output path; its extension sets the format (`png` when there is none).
        show_shapes: Whether to show each layer's input and output shapes.
        show_dtype: Whether to show each layer's dtype.
        show_layer_names: Whether to show layer names.
        rankdir: `"TB"` (vertical) or `"LR"` (horizontal).
        dpi: Resolution of rendered images.
        show_layer_activations: Whether to show the activation of layers that have one.
        show_trainable: Whether to show whether each layer is trainable.

    Raises:
        ImportError: if pydot, or graphviz for an image format, is not installed; the
            message says what to install.
        ValueError: for an invalid `rankdir` or an unbuilt model.
    """
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    pydot = _import_pydot()
    if extension != "dot" and not _graphviz_available(pydot):
        raise ImportError(_GRAPHVIZ_MESSAGE.format(extension=extension, to_file=to_file))
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    dot.write(to_file, format="raw" if extension == "dot" else extension)

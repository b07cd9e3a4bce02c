import sys

import pydot
import pytest

import kerascore as keras
from kerascore.utils.model_visualization import model_to_dot


def two_input_model():
    first = keras.Input((4,), name="first")
    second = keras.Input((3,), name="second")
    hidden = keras.layers.Dense(5, activation="relu", name="hidden")(first)
    merged = keras.layers.Concatenate(name="merged")([hidden, second])
    output = keras.layers.Dense(1, name="output")(merged)
    return keras.Model([first, second], output)


def edges_by_name(dot):
    labels = {
        node.get_name(): node.get("label").strip('"').split("\\n")[0]
        for node in dot.get_nodes()
        if node.get("label") is not None  # Skips the `node [...]` defaults entry.
    }
    return {(labels[e.get_source()], labels[e.get_destination()]) for e in dot.get_edges()}


def test_model_to_dot_has_layers_connections_and_shapes():
    dot = model_to_dot(two_input_model(), show_shapes=True, show_layer_activations=True)
    assert edges_by_name(dot) == {
        ("first (InputLayer)", "hidden (Dense)"),
        ("hidden (Dense)", "merged (Concatenate)"),
        ("second (InputLayer)", "merged (Concatenate)"),
        ("merged (Concatenate)", "output (Dense)"),
    }
    source = dot.to_string()
    assert "Input shape: [(None, 5), (None, 3)]" in source
    assert "Output shape: (None, 8)" in source
    assert "Activation: relu" in source


def test_plot_model_writes_dot_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(3, name="d1"), keras.layers.Dense(2, name="d2")]
    )
    path = tmp_path / "model.dot"
    keras.utils.plot_model(model, to_file=path, show_shapes=True, rankdir="LR")
    (graph,) = pydot.graph_from_dot_file(str(path))
    assert graph.get("rankdir") == "LR"
    assert ("d1 (Dense)", "d2 (Dense)") in edges_by_name(graph)
    assert len(graph.get_edges()) == 2


def test_plot_model_says_to_install_graphviz_for_images(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # No `dot` program on the path.
    with pytest.raises(ImportError, match="install graphviz") as info:
        keras.utils.plot_model(two_input_model(), to_file=tmp_path / "model.png")
    assert "'.dot'" in str(info.value) and "model.png" in str(info.value)
    assert not (tmp_path / "model.png").exists()


def test_plot_model_says_to_install_pydot(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)  # Makes `import pydot` fail.
    with pytest.raises(ImportError, match=r"pip install pydot"):
        keras.utils.plot_model(two_input_model(), to_file=tmp_path / "model.dot")


def test_invalid_rankdir_and_unbuilt_model_are_rejected():
    with pytest.raises(ValueError, match="rankdir='BT'"):
        model_to_dot(two_input_model(), rankdir="BT")
    with pytest.raises(ValueError, match="has not been built"):
        model_to_dot(keras.Sequential([keras.layers.Dense(2)]))

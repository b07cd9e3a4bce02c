"""The packages of kerascore import each other one way at load time (docs/architecture.md).

Only module-level imports count: an import inside a function runs at call time, which is
where an upward import belongs.
"""

import ast
import graphlib
from pathlib import Path

import kerascore

ROOT = Path(kerascore.__file__).parent


def _package_of(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kerascore" else None


def _module_level_imports(tree):
    pending = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "kerascore":
                yield from (f"kerascore.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))


def _load_time_graph():
    graph = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if len(relative.parts) == 1 and relative.name == "__init__.py":
            continue
        source = relative.parts[0].removesuffix(".py")
        for module in _module_level_imports(ast.parse(path.read_text())):
            target = _package_of(module)
            if target and target != source:
                graph.setdefault(source, set()).add(target)
    return graph


def test_packages_import_each_other_without_a_cycle_at_load_time():
    graph = _load_time_graph()
    assert graph["layers"] >= {"ops", "random", "utils"}, "the graph reader found no imports"
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        raise AssertionError(
            f"kerascore packages import each other in a cycle at load time: {error.args[1]}. "
            "Move the shared helper to the lower package, or import inside the function."
        ) from None

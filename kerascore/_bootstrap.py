"""Imports TensorFlow without letting it import the `keras` package.

`import tensorflow` eagerly imports `keras.src.optimizers` when keras is installed (it is a
TensorFlow dependency), which costs about a second and puts Keras in the process. kerascore
never uses it, so the import is refused while TensorFlow loads; TensorFlow tolerates that
(it wraps the import in `try/except ImportError`), and TensorFlow's `keras` attribute stays a
lazy loader.
"""

import importlib.abc
import importlib.machinery
import sys


class _RefusingLoader(importlib.abc.Loader):
    def __init__(self, name):
        self.name = name

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise ImportError(f"kerascore: {self.name} is not imported while TensorFlow loads")


class _RefuseKeras(importlib.abc.MetaPathFinder):
    """Finds keras where it is (TensorFlow reads its path) but refuses to execute it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None:
            spec.loader = _RefusingLoader(fullname)
        return spec


def import_tensorflow_without_keras():
    if "tensorflow" in sys.modules:
        return
    finder = _RefuseKeras()
    sys.meta_path.insert(0, finder)
    try:
        import tensorflow  # noqa: F401
    finally:
        sys.meta_path.remove(finder)

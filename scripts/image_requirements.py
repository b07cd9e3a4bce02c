"""Prints the image's requirements: pyproject.toml's dependencies with the TensorFlow chosen.

The Dockerfile installs these before the project (`pip install --no-deps -e .`), so the layer
with the dependencies survives code changes and a CPU image never downloads CUDA wheels:

    python scripts/image_requirements.py          tensorflow-cpu (the CPU image)
    python scripts/image_requirements.py --gpu    tensorflow[and-cuda] (pyproject's `gpu` extra)
"""

import sys
from pathlib import Path

import tomllib

project = tomllib.loads(Path("pyproject.toml").read_text())["project"]
requirements = []
for requirement in project["dependencies"]:
    if requirement.startswith("tensorflow"):
        if "--gpu" in sys.argv[1:]:
            requirements.extend(project["optional-dependencies"]["gpu"])
        else:
            requirements.append(requirement.replace("tensorflow", "tensorflow-cpu", 1))
    else:
        requirements.append(requirement)
print("\n".join(requirements))

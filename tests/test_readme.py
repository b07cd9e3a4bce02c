"""The README's kerascore tour runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_tour_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README has no python tour"
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README tour", "exec"), {"__name__": "readme_tour"})
    assert (tmp_path / "digits.keras").exists()


def test_readme_test_command_is_what_ci_runs():
    ci_script = (README.parent / ".ci" / "run").read_text()
    commands = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
    test_command = [
        line
        for block in commands
        for line in block.splitlines()
        if "pytest" in line and not line.startswith("#")
    ]
    assert test_command and test_command[0] in ci_script

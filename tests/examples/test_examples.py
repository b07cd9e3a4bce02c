"""Runs every script in examples/ as a user would and checks the metrics it prints."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO_ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*.py"))
# "Test accuracy: 0.9861", "Base weights unchanged while frozen: True".
RESULT_LINE = re.compile(r"^(?P<name>[^:\n]+): (?P<value>-?\d+\.\d+(?:e[-+]\d+)?|True|False)$")


def run_example(filename, cwd, library="kerascore"):
    """Runs `examples/<filename>` in `cwd` and returns its printed results by name.

    Args:
        filename: the script's name in examples/.
        cwd: the folder to run it in.
        library: `"kerascore"` runs the script as it is; `"keras"` runs a copy (written to
            `cwd`) whose `import kerascore as keras` is swapped for `import keras`, on Keras 3's
            TensorFlow backend.

    Raises:
        AssertionError: if the script exits with a non-zero code.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    script = EXAMPLES_DIR / filename
    if library == "keras":
        source = script.read_text()
        assert source.count("\nimport kerascore as keras\n") == 1
        script = Path(cwd) / f"keras_{filename}"
        script.write_text(source.replace("\nimport kerascore as keras\n", "\nimport keras\n"))
        env["KERAS_BACKEND"] = "tensorflow"
    elif library != "kerascore":
        raise ValueError(f"Expected library 'kerascore' or 'keras'. Received: library={library!r}")
    completed = subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, (
        f"{filename} ({library}) exited with {completed.returncode}.\n"
        f"stdout:\n{completed.stdout[-3000:]}\nstderr:\n{completed.stderr[-3000:]}"
    )
    results = {}
    for line in completed.stdout.splitlines():
        match = RESULT_LINE.match(line.strip())
        if match:
            value = match["value"]
            results[match["name"]] = value == "True" if value in ("True", "False") else float(value)
    return results


def test_at_least_six_examples_each_listed_in_the_readme():
    readme = (EXAMPLES_DIR / "README.md").read_text()
    assert len(EXAMPLE_FILES) >= 6
    for path in EXAMPLE_FILES:
        assert f"({path.name})" in readme, f"{path.name} is not listed in examples/README.md"


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_example_differs_from_keras_code_only_by_its_import(path):
    source = path.read_text()
    assert source.startswith('"""'), f"{path.name} needs a module docstring"
    import_lines = [line for line in source.splitlines() if "kerascore" in line]
    assert import_lines == ["import kerascore as keras"]
    assert not re.search(r"^\s*(import keras\b|from keras\b)", source, re.MULTILINE)
    assert "tensorflow.keras" not in source
    assert "tf.keras" not in source


def test_convnet_digits(tmp_path):
    results = run_example("convnet_digits.py", tmp_path)
    assert results["Test accuracy"] >= 0.97
    assert results["Test loss"] < 0.2


def test_lstm_and_gru_learn_marker_order_that_bag_of_features_cannot(tmp_path):
    results = run_example("lstm_sequence_classifier.py", tmp_path)
    lstm = results["LSTM test accuracy"]
    gru = results["GRU test accuracy"]
    bag = results["Bag of features test accuracy"]
    assert lstm >= 0.95
    assert gru >= 0.95
    # Both markers appear in every sequence, so counts carry no signal: chance is 0.5.
    assert bag <= 0.75
    assert min(lstm, gru) - bag >= 0.2


def test_functional_two_inputs_two_outputs(tmp_path):
    results = run_example("functional_two_inputs_two_outputs.py", tmp_path)
    assert results["Test department_accuracy"] >= 0.9
    assert results["Test priority_mean_absolute_error"] < 0.06
    assert {"Test loss", "Test priority_loss", "Test department_loss"} <= results.keys()
    # The total is the weighted sum: 1.0 * priority_loss + 0.2 * department_loss.
    expected_total = results["Test priority_loss"] + 0.2 * results["Test department_loss"]
    assert results["Test loss"] == pytest.approx(expected_total, abs=5e-3)


def test_custom_layer_and_train_step(tmp_path):
    results = run_example("custom_layer_and_train_step.py", tmp_path)
    assert results["Last epoch loss"] < 0.25 * results["First epoch loss"]
    assert results["Test loss"] < 0.03
    assert results["Test mae"] < 0.15
    assert results["Restored prediction difference"] < 1e-6


def test_transfer_learning(tmp_path):
    results = run_example("transfer_learning.py", tmp_path)
    assert results["Base model accuracy on digits 0-4"] >= 0.95
    assert results["Base weights unchanged while frozen"] is True
    assert results["New head test accuracy"] >= 0.6
    assert results["BatchNormalization moving mean kept while fine-tuning"] is True
    assert results["Fine-tuned test accuracy"] >= results["New head test accuracy"]


def test_text_classifier(tmp_path):
    results = run_example("text_classifier.py", tmp_path)
    assert results["Test accuracy"] >= 0.9
    assert results["Test loss"] < 0.4
    # The end-to-end model takes raw strings it has never seen.
    assert results["Positive score for 'what a wonderful film'"] > 0.5
    assert results["Positive score for 'the plot was dreadful'"] < 0.5
    assert results["Positive score for 'a superb cast, really lovely'"] > 0.5


# The scripts below run twice: on kerascore, and with the import swapped to Keras 3.
BOTH_LIBRARIES = pytest.mark.parametrize("library", ["kerascore", "keras"])


@BOTH_LIBRARIES
def test_variational_autoencoder(tmp_path, library):
    results = run_example("variational_autoencoder.py", tmp_path, library)
    assert results["Last epoch loss"] < 0.75 * results["First epoch loss"]
    # 64 pixels: an untrained decoder's binary cross-entropy is about 64 * 0.69 = 44.
    assert results["Last epoch reconstruction_loss"] < 28.0
    assert 0.5 < results["Last epoch kl_loss"] < 5.0
    # The encoder separates the digit classes in its 2-D latent space (prior std is 1).
    assert results["Spread of class centres in latent space"] > 0.4
    assert results["Generated pixels within [0, 1]"] is True


@BOTH_LIBRARIES
def test_gan(tmp_path, library):
    results = run_example("gan.py", tmp_path, library)
    before = results["Distance of generated mean before training"]
    after = results["Distance of generated mean after training"]
    assert before > 1.5
    assert after < 0.4 * before
    # Neither network wins outright: a discriminator that cannot tell (log 2 = 0.69) is the aim.
    assert 0.4 < results["Last epoch d_loss"] < 1.0
    assert 0.4 < results["Last epoch g_loss"] < 1.5
    for axis in ("x", "y"):
        assert 0.05 < results[f"Generated standard deviation {axis}"] < 1.5


@BOTH_LIBRARIES
def test_structured_data_feature_space(tmp_path, library):
    results = run_example("structured_data_feature_space.py", tmp_path, library)
    assert results["Last epoch loss"] < 0.5 * results["First epoch loss"]
    # The label is a noisy rule over the columns; the majority class is about 0.59.
    assert results["Validation accuracy"] >= 0.85
    assert results["Probability for the high-risk patient"] > 0.8
    assert results["Probability for the low-risk patient"] < 0.2
    assert results["Restored prediction difference"] < 1e-5

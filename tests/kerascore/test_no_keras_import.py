import subprocess
import sys
import textwrap


def test_kerascore_never_imports_keras():
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import kerascore as keras
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        model.fit(np.zeros((8, 3)), np.zeros((8, 2)), epochs=1, verbose=0)
        model.predict(np.zeros((2, 3)), verbose=0)
        leaked = sorted(name for name in sys.modules if name == "keras" or name.startswith("keras.")
                        or name.startswith("tensorflow.keras") or name.startswith("tf_keras"))
        print("LEAKED", leaked)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "LEAKED []" in result.stdout, result.stdout

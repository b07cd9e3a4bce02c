"""Put in front of every attack source (`attack_source` in test_box_escapes.py).

It makes the assembled file a valid Horn model source (`build_model`, importing kerascore
only when called, so running the attack itself stays fast) and gives it `report`, which
prints the attack's one result line. Each attack defines `NAME` and calls `report`.
"""

import json


def report(escaped, detail):
    """Prints this attack's one result line."""
    line = json.dumps({"name": NAME, "escaped": bool(escaped), "detail": detail}, default=str)
    print("ATTACK " + line, flush=True)


def build_model(hparams):
    """A tiny model: the assembled file is also a valid Horn model source."""
    import kerascore as keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model

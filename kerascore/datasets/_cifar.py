"""Reading one pickled CIFAR batch file."""

from kerascore.datasets._storage import RestrictedUnpickler


def load_batch(fpath, label_key="labels"):
    """Returns `(data, labels)` of a CIFAR batch: uint8 data of shape `(n, 3, 32, 32)` and the
    labels list stored under `label_key`."""
    with open(fpath, "rb") as f:
        batch = RestrictedUnpickler(f, encoding="bytes").load()
    batch = {key.decode("utf8"): value for key, value in batch.items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]

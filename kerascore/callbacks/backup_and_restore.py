"""`BackupAndRestore`: resumes an interrupted `fit` from a backup."""

import os

from kerascore.callbacks.callback import Callback


class BackupAndRestore(Callback):
    """Backs training up at the end of each epoch and resumes from the backup after a crash.

    Call `fit` again with the same callback (and `backup_dir`) after an interruption: the
    weights, the optimizer state and the epoch counter are restored and training continues
    from the epoch after the last backup, as if it had never stopped.

    Args:
        backup_dir: a folder for the backup; it must not be shared by two concurrent runs.
        save_freq: `"epoch"`, or an int to also back up every `save_freq` batches.
        delete_checkpoint: remove the backup when training ends normally.
    """

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"Empty backup_dir argument passed. Received: {backup_dir!r}")
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(
                f"Expected save_freq='epoch' or a positive int. Received: save_freq={save_freq!r}"
            )
        self.backup_dir = str(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._state_path = os.path.join(self.backup_dir, "training_state.json")
        self._current_epoch = 0
        self._batches_seen = 0

    def implements_batch_hooks(self):
        return self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        import json

        if not (os.path.exists(self._weights_path) and os.path.exists(self._state_path)):
            return
        with open(self._state_path) as state_file:
            state = json.load(state_file)
        self.model.load_weights(self._weights_path)
        self.model._initial_epoch = int(state["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            self._backup(next_epoch=self._current_epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._backup(next_epoch=epoch + 1)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            for path in (self._weights_path, self._state_path):
                if os.path.exists(path):
                    os.remove(path)

    def _backup(self, next_epoch):
        import json

        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path)
        temporary = self._state_path + ".tmp"
        with open(temporary, "w") as state_file:
            json.dump({"epoch": next_epoch}, state_file)
        os.replace(temporary, self._state_path)

"""Callbacks: hooks into `fit`, `evaluate` and `predict` (history, logging, checkpoints, ...).

One callback per module, as in Keras.
"""

from kerascore.callbacks.backup_and_restore import BackupAndRestore
from kerascore.callbacks.callback import Callback
from kerascore.callbacks.callback_list import CallbackList
from kerascore.callbacks.csv_logger import CSVLogger
from kerascore.callbacks.early_stopping import EarlyStopping
from kerascore.callbacks.history import History
from kerascore.callbacks.lambda_callback import LambdaCallback
from kerascore.callbacks.learning_rate_scheduler import LearningRateScheduler
from kerascore.callbacks.model_checkpoint import ModelCheckpoint
from kerascore.callbacks.monitor_callback import MonitorCallback
from kerascore.callbacks.progbar_logger import ProgbarLogger
from kerascore.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerascore.callbacks.remote_monitor import RemoteMonitor
from kerascore.callbacks.swap_ema_weights import SwapEMAWeights
from kerascore.callbacks.tensorboard import TensorBoard
from kerascore.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]

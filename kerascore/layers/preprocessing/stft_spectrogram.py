"""`STFTSpectrogram`: short-time Fourier transforms of signals, as a convolution."""

import math

import numpy as np
import tensorflow as tf

from kerascore import backend
from kerascore.layers.input_spec import InputSpec
from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin
from kerascore.utils.argument_validation import standardize_data_format

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
# Cosine-sum coefficients of the named windows (SciPy's definitions).
_COSINE_WINDOWS = {
    "hann": (0.5, 0.5),
    "hanning": (0.5, 0.5),
    "hamming": (0.54, 0.46),
    "blackman": (0.42, 0.5, 0.08),
    "boxcar": (1.0,),
    "rectangular": (1.0,),
}


def window_values(window, length, periodic):
    """The `length` samples of a named window (`scipy.signal.get_window`'s values for
    `hann`, `hamming`, `blackman`, `boxcar`) or of a given sequence.

    Raises:
        ValueError: for an unknown name or a sequence of another length.
    """
    if isinstance(window, str):
        if window not in _COSINE_WINDOWS:
            raise ValueError(
                f"Unknown window {window!r}. Expected one of {sorted(_COSINE_WINDOWS)} or a "
                f"sequence of {length} numbers. Received: window={window!r}"
            )
        size = length + 1 if periodic else length
        positions = np.arange(size) * 2 * np.pi / max(size - 1, 1)
        values = sum(
            (-1) ** k * coefficient * np.cos(k * positions)
            for k, coefficient in enumerate(_COSINE_WINDOWS[window])
        ) * np.ones(size)
        return values[:length]
    values = np.asarray(window, dtype="float64")
    if values.shape != (length,):
        raise ValueError(
            f"The window must have the shape ({length},) of one frame. Received: "
            f"window of shape {values.shape}"
        )
    return values


def stft_kernel(side, window, scaling, periodic, frame_length, frequency_bins):
    """The `(frame_length, 1, frequency_bins)` cosine (real) or sine (imag) kernel of the
    STFT as a convolution, windowed and scaled as Keras 3's `STFT` initializer."""
    fft_length = (frequency_bins - 1) * 2
    time = np.arange(frame_length)[:, None, None]
    frequency = np.arange(frequency_bins)[None, None, :] / fft_length
    angles = -2 * time * frequency * np.pi
    kernel = np.cos(angles) if side == "real" else np.sin(angles)
    if window is not None:
        values = window_values(window, frame_length, periodic).reshape(frame_length, 1, 1)
        scale = 1.0
        if scaling == "density":
            scale = np.sqrt(np.sum(values**2))
        elif scaling == "spectrum":
            scale = np.sum(np.abs(values))
        kernel = kernel * values / scale
    return kernel


@register_builtin
class STFTSpectrogram(Layer):
    """The short-time Fourier transform of 1D signals, computed as a strided convolution with
    (trainable) Fourier kernels, as in Keras 3.

    Args:
        mode: `"log"` (log magnitude), `"magnitude"`, `"psd"` (power spectral density),
            `"real"`, `"imag"`, `"angle"` or `"stft"` (real then imaginary parts).
        frame_length: the samples per frame.
        frame_step: the samples between frames, `frame_length // 2` when None.
        fft_length: the FFT size, the next power of two from `frame_length` when None.
        window: a window name (`hann`, `hamming`, `blackman`, `boxcar`), a sequence of
            `frame_length` numbers, or None.
        periodic: whether a named window is periodic (for spectral analysis).
        scaling: `"density"`, `"spectrum"` or None.
        padding: `"valid"` or `"same"`.
        expand_dims: keep the frequency and channel axes apart in the output.
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Input shape:
        `(batch, time, channels)` (`channels_last`) or `(batch, channels, time)`.

    Output shape:
        `(batch, frames, channels * frequencies)`, or `(batch, frames, frequencies,
        channels)` with `expand_dims` (channels first: the channel axis first).

    Example:
        layer = keras.layers.STFTSpectrogram(frame_length=64, frame_step=32)
        layer(np.random.normal(size=(2, 512, 1)).astype("float32")).shape  # (2, 15, 33)
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        if isinstance(frame_length, bool) or not isinstance(frame_length, int) or frame_length < 1:
            raise ValueError(
                f"`frame_length` must be a positive int. Received: frame_length={frame_length!r}"
            )
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(
                "`frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received: frame_step={frame_step!r}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "`fft_length` should not be less than `frame_length`. Received: "
                f"fft_length={fft_length!r}, frame_length={frame_length}"
            )
        if mode not in _MODES:
            raise ValueError(f"Expected mode in {_MODES}. Received: mode={mode!r}")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                f"Expected scaling None, 'density' or 'spectrum'. Received: scaling={scaling!r}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(f"Expected padding 'valid' or 'same'. Received: padding={padding!r}")
        if window is not None:
            window_values(window, frame_length, periodic)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = list(window) if isinstance(window, (tuple, np.ndarray)) else window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        bins = self._fft_length // 2 + 1

        def initializer(side):
            def initialize(shape, dtype=None):
                kernel = stft_kernel(
                    side, self.window, self.scaling, self.periodic, self.frame_length, bins
                )
                return tf.constant(kernel, dtype=dtype or "float32")

            return initialize

        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel",
                shape=(self.frame_length, 1, bins),
                initializer=initializer("real"),
            )
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel",
                shape=(self.frame_length, 1, bins),
                initializer=initializer("imag"),
            )
        self.built = True

    def _convolve(self, signals, kernel):
        """`(batch, channels, frequencies, frames)` of each channel convolved with `kernel`."""
        channels_last = self.data_format == "channels_last"
        channel_first_signals = tf.transpose(signals, [0, 2, 1]) if channels_last else signals
        channels = tf.shape(channel_first_signals)[1]
        steps = tf.shape(channel_first_signals)[2]
        flat = tf.reshape(channel_first_signals, tf.stack([-1, steps, 1]))
        outputs = tf.nn.conv1d(
            flat, tf.cast(kernel, flat.dtype), self._frame_step, self.padding.upper()
        )
        outputs = tf.transpose(outputs, [0, 2, 1])
        frequencies, frames = tf.shape(outputs)[1], tf.shape(outputs)[2]
        return tf.reshape(outputs, tf.stack([-1, channels, frequencies, frames]))

    def _arrange(self, outputs):
        """From `(batch, channels, frequencies, frames)` to the output layout."""
        shape = tf.shape(outputs)
        channels, frequencies, frames = shape[1], shape[2], shape[3]
        if self.data_format == "channels_last":
            if self.expand_dims:
                return tf.transpose(outputs, [0, 3, 2, 1])
            flat = tf.reshape(outputs, tf.stack([-1, channels * frequencies, frames]))
            return tf.transpose(flat, [0, 2, 1])
        if self.expand_dims:
            return tf.transpose(outputs, [0, 1, 3, 2])
        return tf.reshape(outputs, tf.stack([-1, channels * frequencies, frames]))

    def call(self, inputs):
        if not inputs.dtype.is_floating:
            raise ValueError(
                f"STFTSpectrogram expects float signals. Received: dtype={inputs.dtype.name}"
            )
        real = self._convolve(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._convolve(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._arrange(real)
        if self.mode == "imag":
            return self._arrange(imag)
        if self.mode == "angle":
            return self._arrange(tf.math.atan2(imag, real))
        if self.mode == "stft":
            return self._arrange(tf.concat([real, imag], axis=2))
        power = tf.square(real) + tf.square(imag)
        if self.mode == "psd":
            # One-sided density: every bin but DC and Nyquist counts twice.
            doubled = tf.pad(power[:, :, 1:-1, :], [[0, 0], [0, 0], [1, 1], [0, 0]])
            return self._arrange(power + doubled)
        magnitude = self._arrange(tf.sqrt(tf.maximum(power, backend.epsilon())))
        if self.mode == "magnitude":
            return magnitude
        return tf.math.log(tf.maximum(magnitude, backend.epsilon()))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            batch, steps, channels = input_shape
        else:
            batch, channels, steps = input_shape
        frequencies = self._fft_length // 2 + 1
        if self.mode == "stft":
            frequencies *= 2
        if steps is None:
            frames = None
        elif self.padding == "valid":
            frames = (steps - self.frame_length) // self._frame_step + 1
        else:
            frames = -(-steps // self._frame_step)
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, frequencies, channels)
            return (batch, channels, frames, frequencies)
        features = None if channels is None else frequencies * channels
        if self.data_format == "channels_last":
            return (batch, frames, features)
        return (batch, features, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": self.window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "expand_dims": self.expand_dims,
            "data_format": self.data_format,
        }

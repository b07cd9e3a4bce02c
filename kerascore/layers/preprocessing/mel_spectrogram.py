"""`MelSpectrogram`: mel-scaled (log) power spectrograms of audio."""

import tensorflow as tf

from kerascore.layers.layer import Layer
from kerascore.saving.serialization import register_builtin

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(frequencies):
    return _MEL_HIGH_FREQUENCY_Q * tf.math.log(1.0 + frequencies / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(
    num_mel_bins, num_spectrogram_bins, sampling_rate, lower_edge_hertz, upper_edge_hertz
):
    """The `(num_spectrogram_bins, num_mel_bins)` matrix of triangular mel filters, as Keras
    3 builds it (the DC bin gets no weight)."""
    nyquist = tf.cast(sampling_rate, "float32") / 2.0
    frequencies = tf.linspace(0.0, nyquist, num_spectrogram_bins)[1:]
    spectrogram_mels = _hertz_to_mel(frequencies)[:, None]
    edges = tf.linspace(
        _hertz_to_mel(tf.constant(float(lower_edge_hertz))),
        _hertz_to_mel(tf.constant(float(upper_edge_hertz))),
        num_mel_bins + 2,
    )
    lower, center, upper = edges[:-2][None], edges[1:-1][None], edges[2:][None]
    lower_slopes = (spectrogram_mels - lower) / (center - lower)
    upper_slopes = (upper - spectrogram_mels) / (upper - center)
    weights = tf.maximum(0.0, tf.minimum(lower_slopes, upper_slopes))
    return tf.pad(weights, [[1, 0], [0, 0]])


@register_builtin
class MelSpectrogram(Layer):
    """Turns raw audio into mel spectrograms, as Keras 3: a centered, reflect-padded STFT,
    magnitudes to the power `mag_exp`, a bank of `num_mel_bins` triangular mel filters, and
    optionally decibels clipped `top_db` below the peak.

    Args:
        fft_length: the FFT size.
        sequence_stride: the samples between frames.
        sequence_length: the samples per frame (the window length), `fft_length` when None.
        window: `"hann"`, `"hamming"` or None.
        sampling_rate: the audio's sampling rate in Hz.
        num_mel_bins: the number of mel bands.
        min_freq, max_freq: the frequency range of the bands, `sampling_rate / 2` at most.
        power_to_db: whether to convert to decibels.
        top_db: the dynamic range kept below the peak, in dB.
        mag_exp: the exponent of the magnitudes (2 for power).
        min_power, ref_power: the floor and the reference of the decibel conversion.

    Input shape:
        `(batch, samples)` or `(samples,)`.

    Output shape:
        `(batch, num_mel_bins, frames)` or `(num_mel_bins, frames)`.

    Example:
        layer = keras.layers.MelSpectrogram(num_mel_bins=64, sampling_rate=8000,
                                            sequence_stride=256, fft_length=2048)
        layer(np.random.normal(size=(2, 8000)).astype("float32")).shape  # (2, 64, 32)
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        sequence_length = sequence_length or fft_length
        if fft_length < sequence_length:
            raise ValueError(
                "`fft_length` must be greater than or equal to `sequence_length`. Received: "
                f"sequence_length={sequence_length}, fft_length={fft_length}"
            )
        if window not in ("hann", "hamming", None):
            raise ValueError(
                f"Expected window 'hann', 'hamming' or None. Received: window={window!r}"
            )
        for name, value in (
            ("sequence_stride", sequence_stride),
            ("num_mel_bins", num_mel_bins),
            ("sampling_rate", sampling_rate),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def _spectrogram(self, signals):
        half = self.fft_length // 2
        padding = [[0, 0]] * (signals.shape.rank - 1) + [[half, half]]
        signals = tf.pad(signals, padding, mode="REFLECT")
        left = (self.fft_length - self.sequence_length) // 2
        right = self.fft_length - self.sequence_length - left
        window_fn = None
        if self.window is not None:
            make = tf.signal.hann_window if self.window == "hann" else tf.signal.hamming_window
            values = tf.pad(
                make(self.sequence_length, periodic=True, dtype=signals.dtype), [[left, right]]
            )

            def window_fn(frame_length, dtype):
                return values

        stft = tf.signal.stft(
            signals,
            frame_length=self.fft_length,
            frame_step=self.sequence_stride,
            fft_length=self.fft_length,
            window_fn=window_fn,
        )
        magnitude = tf.sqrt(tf.square(tf.math.real(stft)) + tf.square(tf.math.imag(stft)))
        return tf.pow(magnitude, self.mag_exp)

    def call(self, inputs):
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        signals = tf.cast(inputs, dtype)
        spectrogram = self._spectrogram(signals)
        matrix = tf.cast(
            linear_to_mel_weight_matrix(
                self.num_mel_bins,
                self.fft_length // 2 + 1,
                self.sampling_rate,
                self.min_freq,
                self.max_freq,
            ),
            dtype,
        )
        mel = tf.tensordot(spectrogram, matrix, axes=1)
        if self.power_to_db:
            log10 = tf.math.log(tf.constant(10.0, dtype))
            decibels = 10.0 * tf.math.log(tf.maximum(mel, self.min_power)) / log10
            reference = max(abs(self.ref_power), self.min_power)
            decibels -= 10.0 * tf.math.log(tf.constant(reference, dtype)) / log10
            mel = tf.maximum(decibels, tf.reduce_max(decibels) - self.top_db)
        return tf.cast(tf.linalg.matrix_transpose(mel), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        steps = input_shape[-1]
        frames = (
            None if steps is None else (steps + self.sequence_stride + 1) // self.sequence_stride
        )
        if len(input_shape) == 1:
            return (self.num_mel_bins, frames)
        return (input_shape[0], self.num_mel_bins, frames)

    def get_config(self):
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }

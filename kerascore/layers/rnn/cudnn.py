"""The cuDNN kernels of `LSTM` and `GRU` (`tf.raw_ops.CudnnRNNV3`), used where the layer's
arguments allow them and a GPU is visible, as Keras 3's TensorFlow backend does.

The weights keep Keras's layout; `lstm_cudnn_params` and `gru_cudnn_params` pack them into the
flat parameter vector the op expects. `cudnn_lstm` and `cudnn_gru` return what the generic
loop returns (the previous output at masked steps unless `zero_output_for_mask`), so a layer
may take either path.
"""

import tensorflow as tf
from tensorflow.python.ops import control_flow_util

from kerascore import activations, ops
from kerascore.layers.layer import cast_to_compute
from kerascore.layers.rnn.rnn_loop import run_loop

# The activations Keras accepts; `tf.tanh`, `tf.math.tanh` and `tf.nn.tanh` are one function
# (and likewise for sigmoid).
_TANH = (activations.tanh, ops.tanh, tf.tanh)
_SIGMOID = (activations.sigmoid, ops.sigmoid, tf.sigmoid)
# The dtypes `CudnnRNNV3` has kernels for (not bfloat16).
_CUDNN_DTYPES = (tf.float16, tf.float32, tf.float64)


def gpu_available():
    """Whether TensorFlow sees a GPU."""
    return bool(tf.config.list_logical_devices("GPU"))


def in_xla_context():
    """Whether the current trace is compiled with XLA (`jit_compile`), which cuDNN ops are not."""
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def arguments_support_cudnn(activation, recurrent_activation, unroll, use_bias, reset_after=None):
    """Whether an LSTM (`reset_after=None`) or a GRU with these arguments has a cuDNN kernel.

    cuDNN computes tanh and sigmoid, with biases, in a loop; its GRU applies the reset gate
    after the recurrent matmul (`reset_after=True`).
    """
    return (
        activation in _TANH
        and recurrent_activation in _SIGMOID
        and not unroll
        and bool(use_bias)
        and reset_after in (None, True)
    )


def cudnn_ok(
    activation,
    recurrent_activation,
    unroll,
    use_bias,
    reset_after=None,
    dtype="float32",
    gpu=None,
):
    """Whether the cuDNN kernel can run an LSTM (`reset_after=None`) or a GRU here.

    Args:
        activation, recurrent_activation, unroll, use_bias, reset_after: the layer's arguments.
        dtype: the compute dtype.
        gpu: whether a GPU is visible; None asks TensorFlow.
    """
    if gpu is None:
        gpu = gpu_available()
    return (
        arguments_support_cudnn(activation, recurrent_activation, unroll, use_bias, reset_after)
        and tf.as_dtype(dtype) in _CUDNN_DTYPES
        and bool(gpu)
        and not in_xla_context()
    )


def _is_rocm_build():
    return bool(tf.sysconfig.get_build_info().get("is_rocm_build", False))


def _is_cuda_build():
    return bool(tf.sysconfig.get_build_info().get("is_cuda_build", False))


def _pack(weights, biases):
    """cuDNN stores each gate's matrix as `(units, inputs)`: Keras's block, transposed."""
    flat = [tf.reshape(tf.transpose(w), [-1]) for w in weights]
    flat += [tf.reshape(b, [-1]) for b in biases]
    return tf.concat(flat, axis=0)


def lstm_cudnn_params(kernel, recurrent_kernel, bias, rocm=None):
    """Packs Keras LSTM weights (gates `i, f, c, o`) into a `CudnnRNNV3` parameter vector.

    cuDNN has a second (recurrent) bias per gate: the input biases are zeros and the recurrent
    biases are Keras's, so the sum is the same. ROCm's MIOpen orders the gates `i, f, o, c`.

    Args:
        kernel: `(features, 4 * units)`; recurrent_kernel: `(units, 4 * units)`;
            bias: `(4 * units,)`.
        rocm: whether TensorFlow is built for ROCm; None reads the build.
    """
    if rocm is None:
        rocm = _is_rocm_build()
    weights = tf.split(kernel, 4, axis=1) + tf.split(recurrent_kernel, 4, axis=1)
    biases = tf.split(tf.concat([tf.zeros_like(bias), bias], axis=0), 8)
    if rocm:
        order = (0, 1, 3, 2, 4, 5, 7, 6)
        weights = [weights[i] for i in order]
        biases = [biases[i] for i in order]
    return _pack(weights, biases)


def gru_cudnn_params(kernel, recurrent_kernel, bias, cuda=None):
    """Packs Keras GRU weights (`reset_after=True`; gates `z, r, h`) into a `CudnnRNNV3`
    parameter vector.

    cuDNN orders the gates `r, z, h`; MIOpen (ROCm) keeps Keras's order.

    Args:
        kernel: `(features, 3 * units)`; recurrent_kernel: `(units, 3 * units)`;
            bias: `(2, 3 * units)`, the input biases then the recurrent ones.
        cuda: whether TensorFlow is built for CUDA; None reads the build.
    """
    if cuda is None:
        cuda = _is_cuda_build()
    weights = tf.split(kernel, 3, axis=1) + tf.split(recurrent_kernel, 3, axis=1)
    biases = tf.split(tf.reshape(bias, [-1]), 6)
    if cuda:
        order = (1, 0, 2, 4, 3, 5)
        weights = [weights[i] for i in order]
        biases = [biases[i] for i in order]
    return _pack(weights, biases)


def sequence_lengths_from_mask(mask, time_major=False):
    """The number of True steps of each sequence of a right-padded `(batch, time)` mask."""
    return tf.reduce_sum(tf.cast(mask, tf.int32), axis=0 if time_major else 1)


def has_fully_masked_sequence(mask):
    """Whether some sequence of a `(batch, time)` mask has no True step."""
    return tf.reduce_any(tf.reduce_all(tf.logical_not(tf.cast(mask, tf.bool)), axis=1))


def is_right_padded(mask):
    """Whether every sequence of a `(batch, time)` mask is True steps then False steps."""
    mask = tf.cast(mask, tf.bool)
    lengths = sequence_lengths_from_mask(mask)
    return tf.reduce_all(tf.equal(mask, tf.sequence_mask(lengths, maxlen=tf.shape(mask)[1])))


def mask_supported(mask):
    """Whether cuDNN can run a `(batch, time)` mask: right-padded, no sequence fully masked
    (cuDNN fails on an empty sequence)."""
    return tf.logical_and(tf.logical_not(has_fully_masked_sequence(mask)), is_right_padded(mask))


def _run_cudnn(
    mode,
    inputs,
    initial_states,
    params,
    mask,
    go_backwards,
    return_sequences,
    zero_output_for_mask,
):
    """Runs `CudnnRNNV3` on batch-major `inputs`; returns `(last_output, outputs, states)` as
    the generic loop does, with `outputs` batch-major (None unless `return_sequences`)."""
    batch, steps = tf.shape(inputs)[0], tf.shape(inputs)[1]
    if mask is None:
        lengths = tf.fill([batch], steps)
    else:
        mask = tf.cast(mask, tf.bool)
        lengths = sequence_lengths_from_mask(mask)
    if go_backwards:
        # Reversing each sequence within its length keeps the padding at the end for cuDNN.
        inputs = tf.reverse_sequence(inputs, lengths, seq_axis=1, batch_axis=0)
    # Batch-major states carry a layer axis after the batch axis.
    states = [tf.expand_dims(tf.cast(s, inputs.dtype), axis=1) for s in initial_states]
    outputs, h, c, _, _ = tf.raw_ops.CudnnRNNV3(
        input=inputs,
        input_h=states[0],
        input_c=states[1] if mode == "lstm" else 0,
        params=tf.cast(params, inputs.dtype),
        is_training=True,
        rnn_mode=mode,
        sequence_lengths=lengths,
        time_major=False,
    )
    h = tf.squeeze(h, axis=1)
    final_states = [h, tf.squeeze(c, axis=1)] if mode == "lstm" else [h]
    if mask is None:
        return h, outputs if return_sequences else None, final_states
    valid = tf.sequence_mask(lengths, maxlen=steps)
    if go_backwards:
        # The generic loop runs the reversed sequence, padding first: move it there.
        outputs = tf.reverse(
            tf.reverse_sequence(outputs, lengths, seq_axis=1, batch_axis=0), axis=[1]
        )
        valid = tf.reverse(valid, axis=[1])
    # At masked steps the generic loop emits zeros until the first valid step, then repeats
    # the last output (zeros throughout with `zero_output_for_mask`).
    fill = tf.zeros_like(h) if zero_output_for_mask or go_backwards else h
    outputs = tf.where(valid[:, :, None], outputs, fill[:, None, :])
    last_output = tf.where(valid[:, -1:], h, tf.zeros_like(h)) if zero_output_for_mask else h
    return last_output, outputs if return_sequences else None, final_states


def cudnn_lstm(
    inputs,
    initial_h,
    initial_c,
    kernel,
    recurrent_kernel,
    bias,
    mask=None,
    go_backwards=False,
    return_sequences=False,
    zero_output_for_mask=False,
):
    """An LSTM (tanh, sigmoid gates, with bias) over batch-major `inputs` with cuDNN.

    Args:
        inputs: `(batch, time, features)`.
        initial_h, initial_c: `(batch, units)`.
        kernel, recurrent_kernel, bias: Keras-layout weights.
        mask: `(batch, time)` bool, right-padded with no empty sequence (`mask_supported`).
        go_backwards, return_sequences, zero_output_for_mask: as `RNN`.

    Returns:
        `(last_output, outputs, [h, c])`; `outputs` is `(batch, time, units)` in processing
        order, or None unless `return_sequences`.
    """
    params = lstm_cudnn_params(kernel, recurrent_kernel, bias)
    return _run_cudnn(
        "lstm",
        inputs,
        [initial_h, initial_c],
        params,
        mask,
        go_backwards,
        return_sequences,
        zero_output_for_mask,
    )


def cudnn_gru(
    inputs,
    initial_h,
    kernel,
    recurrent_kernel,
    bias,
    mask=None,
    go_backwards=False,
    return_sequences=False,
    zero_output_for_mask=False,
):
    """A GRU (`reset_after=True`, tanh, sigmoid gates, with bias) over batch-major `inputs`
    with cuDNN.

    Args:
        inputs: `(batch, time, features)`.
        initial_h: `(batch, units)`.
        kernel, recurrent_kernel, bias: Keras-layout weights; `bias` is `(2, 3 * units)`.
        mask: `(batch, time)` bool, right-padded with no empty sequence (`mask_supported`).
        go_backwards, return_sequences, zero_output_for_mask: as `RNN`.

    Returns:
        `(last_output, outputs, [h])`; `outputs` is `(batch, time, units)` in processing
        order, or None unless `return_sequences`.
    """
    params = gru_cudnn_params(kernel, recurrent_kernel, bias)
    return _run_cudnn(
        "gru",
        inputs,
        [initial_h],
        params,
        mask,
        go_backwards,
        return_sequences,
        zero_output_for_mask,
    )


class CudnnRNN:
    """Mixin of `LSTM` and `GRU`: their `call` runs the cuDNN kernel instead of the per-step
    loop of `RNN` where the arguments allow it, as Keras's `inner_loop` does.

    That is: `use_cudnn` "auto" or True, a visible GPU, no XLA, tanh and sigmoid activations,
    a bias, no recurrent dropout (dropout is fine), no unrolling, GRU's `reset_after`, the
    layer's own cell, and a mask (if any) that is right-padded with no empty sequence. Where
    the mask is only known when the graph runs, a `tf.cond` falls back to the loop. With
    `use_cudnn=True` a call cuDNN cannot run raises, as in Keras.

    A subclass sets `_cudnn_cell_class` (the cell whose maths the kernel computes) and
    `_cudnn_kernel` (`staticmethod(cudnn_lstm)` or `staticmethod(cudnn_gru)`).
    """

    _cudnn_cell_class = None
    _cudnn_kernel = None

    def _cudnn_applies(self, sequences, training):
        cell = self.cell
        return (
            self.use_cudnn in ("auto", True)
            and type(cell) is self._cudnn_cell_class
            and not cell.recurrent_dropout
            and sequences.shape.rank == 3
            and sequences.shape[1] != 0
            and sequences.dtype == self.compute_dtype
            and cudnn_ok(
                cell.activation,
                cell.recurrent_activation,
                self.unroll,
                cell.use_bias,
                reset_after=getattr(cell, "reset_after", None),
                dtype=self.compute_dtype,
            )
        )

    def _cannot_use_cudnn(self, reason):
        if self.use_cudnn is True:
            raise ValueError(
                f"use_cudnn=True was passed to {type(self).__name__} '{self.name}', but cuDNN "
                f"cannot run this call: {reason}. Pass use_cudnn='auto' to fall back to the "
                "generic loop."
            )

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if not self._cudnn_applies(sequences, training):
            self._cannot_use_cudnn(
                "it needs a GPU, no XLA, tanh and sigmoid activations, a bias, no recurrent "
                "dropout, no unrolling (and reset_after=True for GRU)"
            )
            return super().call(sequences, initial_state, mask=mask, training=training)
        if mask is not None:
            mask = tf.cast(mask, tf.bool)
            if mask.shape.rank == 3:
                mask = mask[:, :, 0]
            if tf.executing_eagerly() and not bool(mask_supported(mask)):
                self._cannot_use_cudnn("the mask is not right-padded or masks a whole sequence")
                return super().call(sequences, initial_state, mask=mask, training=training)
        batch_size = tf.shape(sequences)[0]
        initial_states = tf.nest.flatten(self._initial_states(initial_state, sequences, batch_size))

        def run_cudnn():
            return self._run_cudnn(sequences, initial_states, mask, training)

        if mask is None or tf.executing_eagerly():
            output, *states = run_cudnn()
        elif self.use_cudnn is True:
            check = tf.debugging.Assert(
                mask_supported(mask),
                [
                    "use_cudnn=True, but the mask is not right-padded or masks a whole "
                    "sequence; pass use_cudnn='auto' to fall back to the generic loop."
                ],
            )
            with tf.control_dependencies([check]):
                output, *states = run_cudnn()
        else:
            output, *states = tf.cond(
                mask_supported(mask),
                run_cudnn,
                lambda: self._run_generic(sequences, initial_states, mask, training),
            )
        if self.stateful:
            for variable, state in zip(self.states, states):
                variable.assign(tf.cast(state, variable.dtype))
        if self.activity_regularizer is not None:
            self.add_loss(self.activity_regularizer(output))
        if self.return_state:
            return [output, *states]
        return output

    def _run_cudnn(self, sequences, initial_states, mask, training):
        """Returns `[output, *states]` from the cuDNN kernel."""
        cell, dtype = self.cell, self.compute_dtype
        input_masks, _ = cell.dropout_masks(sequences[:, 0], initial_states[0], training)
        if input_masks is not None:
            # One dropout mask per sample, shared by every timestep, as in the loop.
            sequences = sequences * input_masks[0][:, None]
        last_output, outputs, states = self._cudnn_kernel(
            sequences,
            *initial_states,
            cast_to_compute(cell.kernel, dtype),
            cast_to_compute(cell.recurrent_kernel, dtype),
            cast_to_compute(cell.bias, dtype),
            mask=mask,
            go_backwards=self.go_backwards,
            return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        return [outputs if self.return_sequences else last_output, *states]

    def _run_generic(self, sequences, initial_states, mask, training):
        """Returns `[output, *states]` from the per-step loop of `RNN` (a fused cell)."""
        cell = self.cell
        input_masks, recurrent_masks = cell.dropout_masks(
            sequences[:, 0], initial_states[0], training
        )
        time_major = tf.transpose(sequences, [1, 0, 2])
        last_output, outputs, states = run_loop(
            cell.make_step(recurrent_masks, input_masks),
            cell.project_inputs(time_major, input_masks),
            list(initial_states),
            tf.transpose(mask, [1, 0]),
            cell.units,
            self.go_backwards,
            self.unroll,
            self.zero_output_for_mask,
            self.return_sequences,
        )
        output = tf.transpose(outputs, [1, 0, 2]) if self.return_sequences else last_output
        return [output, *tf.nest.flatten(states)]

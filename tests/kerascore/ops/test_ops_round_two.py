"""The ops added in Keras-compatibility round two, against `keras.ops` on random inputs."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerascore import ops

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4)).astype("float32")
Y = RNG.normal(size=(3, 4)).astype("float32")
V = RNG.normal(size=(6,)).astype("float32")
W = RNG.normal(size=(3,)).astype("float32")
P = RNG.uniform(0.5, 2.0, size=(3, 4)).astype("float32")
XN = np.where(X > 0.6, np.nan, X).astype("float32")
XN[1] = np.nan  # an all-NaN row
INTS = RNG.integers(-40, 40, size=(3, 4)).astype("int32")
INTS2 = RNG.integers(1, 30, size=(3, 4)).astype("int32")
SHIFTS = RNG.integers(0, 5, size=(3, 4)).astype("int32")
SPD = (lambda a: a @ a.T + 4 * np.eye(4, dtype="float32"))(
    RNG.normal(size=(4, 4)).astype("float32")
)
SQUARE = RNG.normal(size=(4, 4)).astype("float32")
TALL = RNG.normal(size=(6, 3)).astype("float32")
IMAGES = RNG.normal(size=(2, 4, 6, 8)).astype("float32")
NCHW = RNG.normal(size=(2, 3, 7, 6)).astype("float32")
SIGNAL = RNG.normal(size=(2, 64)).astype("float32")
SEQUENCE = RNG.normal(size=(2, 9, 3)).astype("float32")
VOLUME = RNG.normal(size=(2, 5, 7, 6, 3)).astype("float32")
COMPLEX = (X + 1j * Y).astype("complex64")
FLOAT_PAIRS = RNG.normal(size=(3, 4, 2)).astype("float32")
SEGMENTS = np.array([0, 0, 2, 1, 2, 2], dtype="int32")
CTC_SCORES = tf.nn.softmax(RNG.normal(size=(2, 6, 5)).astype("float32")).numpy()


def both(call):
    """Runs `call(ops_module)` with kerascore's ops and Keras's."""
    return call(ops), call(keras.ops)


CASES = [
    ("bitwise_and", lambda o: o.bitwise_and(INTS, INTS2)),
    ("bitwise_or", lambda o: o.bitwise_or(INTS, INTS2)),
    ("bitwise_xor", lambda o: o.bitwise_xor(INTS, INTS2)),
    ("bitwise_invert", lambda o: o.bitwise_invert(INTS)),
    ("bitwise_not", lambda o: o.bitwise_not(INTS)),
    ("bitwise_left_shift", lambda o: o.bitwise_left_shift(INTS2, SHIFTS)),
    ("left_shift", lambda o: o.left_shift(INTS2, 2)),
    ("bitwise_right_shift", lambda o: o.bitwise_right_shift(INTS, SHIFTS)),
    ("right_shift", lambda o: o.right_shift(INTS, 1)),
    ("gcd", lambda o: o.gcd(INTS, INTS2)),
    ("lcm", lambda o: o.lcm(INTS, INTS2)),
    ("ldexp", lambda o: o.ldexp(X, SHIFTS)),
    ("fmax", lambda o: o.fmax(XN, Y)),
    ("fmin", lambda o: o.fmin(Y, XN)),
    ("nextafter", lambda o: o.nextafter(X, Y)),
    ("isneginf", lambda o: o.isneginf(np.array([-np.inf, 0.0, np.inf, np.nan], "float32"))),
    ("isposinf", lambda o: o.isposinf(np.array([-np.inf, 0.0, np.inf, np.nan], "float32"))),
    ("isposinf_int", lambda o: o.isposinf(INTS)),
    ("isreal", lambda o: o.isreal(np.array([1 + 0j, 1 + 1j], "complex64"))),
    ("isreal_float", lambda o: o.isreal(X)),
    ("angle", lambda o: o.angle(COMPLEX)),
    ("angle_real", lambda o: o.angle(X)),
    ("i0", lambda o: o.i0(X)),
    ("erfc", lambda o: o.erfc(X)),
    ("bartlett", lambda o: o.bartlett(7)),
    ("blackman", lambda o: o.blackman(8)),
    ("hamming", lambda o: o.hamming(9)),
    ("hanning", lambda o: o.hanning(6)),
    ("kaiser", lambda o: o.kaiser(7, 3.0)),
    ("append", lambda o: o.append(X, Y)),
    ("append_axis", lambda o: o.append(X, Y, axis=1)),
    ("diagflat", lambda o: o.diagflat(W, k=1)),
    ("vander", lambda o: o.vander(W)),
    ("vander_increasing", lambda o: o.vander(W, N=5, increasing=True)),
    ("geomspace", lambda o: o.geomspace(1.0, 1000.0, num=7)),
    ("geomspace_negative", lambda o: o.geomspace(-2.0, -32.0, num=5, endpoint=False)),
    ("view", lambda o: o.view(X, "int32")),
    ("view_narrow", lambda o: o.view(X, "float16")),
    ("view_wide", lambda o: o.view(INTS.astype("int16"), "int32")),
    ("nanargmax", lambda o: o.nanargmax(XN, axis=1)),
    ("nanargmin", lambda o: o.nanargmin(XN, axis=1, keepdims=True)),
    ("nanargmax_flat", lambda o: o.nanargmax(XN)),
    ("nancumsum", lambda o: o.nancumsum(XN, axis=1)),
    ("nancumprod", lambda o: o.nancumprod(XN)),
    ("nanquantile", lambda o: o.nanquantile(XN, 0.3, axis=1)),
    ("nanquantile_q", lambda o: o.nanquantile(XN, [0.1, 0.8], axis=0, keepdims=True)),
    ("nanquantile_flat", lambda o: o.nanquantile(XN, 0.5, method="nearest")),
    ("nanpercentile", lambda o: o.nanpercentile(XN, 75.0, axis=1, method="midpoint")),
    ("nanmedian", lambda o: o.nanmedian(XN, axis=1)),
    ("corrcoef", lambda o: o.corrcoef(X)),
    ("correlate_valid", lambda o: o.correlate(V, W)),
    ("correlate_same", lambda o: o.correlate(V, W[:2], mode="same")),
    ("correlate_full", lambda o: o.correlate(V, W, mode="full")),
    ("histogram", lambda o: o.histogram(V, bins=4)),
    ("histogram_range", lambda o: o.histogram(V, bins=3, range=(-1.0, 1.0))),
    ("trapezoid", lambda o: o.trapezoid(X)),
    ("trapezoid_x", lambda o: o.trapezoid(X, x=np.array([0.0, 0.5, 2.0], "float32"), axis=0)),
    ("trapezoid_dx", lambda o: o.trapezoid(X, dx=0.25)),
    ("slogdet", lambda o: o.slogdet(SQUARE)),
    ("logdet", lambda o: o.logdet(SPD)),
    ("unique", lambda o: o.unique(INTS % 5)),
    (
        "unique_all",
        lambda o: o.unique(INTS % 5, return_index=True, return_inverse=True, return_counts=True),
    ),
    ("unique_size", lambda o: o.unique(INTS % 5, size=8, fill_value=-1)),
    ("unique_axis", lambda o: o.unique(np.array([[1, 2], [0, 5], [1, 2]]), axis=0)),
    ("cdist", lambda o: o.cdist(X, Y[:2])),
    ("segment_prod", lambda o: o.segment_prod(V, SEGMENTS)),
    ("segment_prod_sorted", lambda o: o.segment_prod(V, np.sort(SEGMENTS), sorted=True)),
    ("view_as_real", lambda o: o.view_as_real(COMPLEX)),
    ("view_as_complex", lambda o: o.view_as_complex(FLOAT_PAIRS)),
    ("polar", lambda o: o.polar(P, X)),
    ("stft", lambda o: o.stft(SIGNAL, 16, 8, 16)),
    ("stft_hamming", lambda o: o.stft(SIGNAL, 12, 5, 16, window="hamming", center=False)),
    ("stft_no_window", lambda o: o.stft(SIGNAL, 16, 4, 32, window=None)),
    ("istft", lambda o: o.istft(ops.stft(SIGNAL, 16, 8, 16), 16, 8, 16)),
    ("istft_length", lambda o: o.istft(ops.stft(SIGNAL, 16, 4, 32), 16, 4, 32, length=60)),
    ("pinv", lambda o: o.pinv(TALL)),
    ("matrix_rank", lambda o: o.matrix_rank(np.outer(W, W))),
    ("lstsq", lambda o: o.lstsq(TALL, V)),
    ("lstsq_matrix", lambda o: o.lstsq(TALL, X.T.reshape(6, 2))),
    ("lu_factor", lambda o: o.lu_factor(SQUARE)),
    ("cholesky_inverse", lambda o: o.cholesky_inverse(np.linalg.cholesky(SPD))),
    ("cholesky_inverse_upper", lambda o: o.cholesky_inverse(np.linalg.cholesky(SPD).T, True)),
    ("depth_to_space", lambda o: o.depth_to_space(IMAGES, 2)),
    ("space_to_depth", lambda o: o.space_to_depth(IMAGES, 2)),
    (
        "depth_to_space_first",
        lambda o: o.depth_to_space(IMAGES.transpose(0, 3, 1, 2), 2, "channels_first"),
    ),
    ("sparsemax", lambda o: o.sparsemax(X * 2)),
    ("sparsemax_axis", lambda o: o.sparsemax(X * 2, axis=0)),
    ("psnr", lambda o: o.psnr(P, P + 0.1 * X, 2.0)),
    ("conv_transpose", lambda o: o.conv_transpose(IMAGES, RNG_KERNEL_2D, strides=2)),
    (
        "conv_transpose_same",
        lambda o: o.conv_transpose(IMAGES, RNG_KERNEL_2D, strides=2, padding="same"),
    ),
    (
        "conv_transpose_output_padding",
        lambda o: o.conv_transpose(IMAGES, RNG_KERNEL_2D, strides=3, output_padding=1),
    ),
    ("conv_transpose_1d", lambda o: o.conv_transpose(SEQUENCE, RNG_KERNEL_1D, strides=2)),
    ("adaptive_average_pool_1d", lambda o: o.adaptive_average_pool(tf.constant(SEQUENCE), 4)),
    ("adaptive_max_pool_1d", lambda o: o.adaptive_max_pool(tf.constant(SEQUENCE), 5)),
    ("adaptive_average_pool_2d", lambda o: o.adaptive_average_pool(tf.constant(IMAGES), (3, 4))),
    (
        "adaptive_max_pool_2d_first",
        lambda o: o.adaptive_max_pool(tf.constant(NCHW), 3, data_format="channels_first"),
    ),
    ("adaptive_average_pool_3d", lambda o: o.adaptive_average_pool(tf.constant(VOLUME), (2, 3, 4))),
    ("adaptive_max_pool_3d", lambda o: o.adaptive_max_pool(tf.constant(VOLUME), 3)),
    ("unfold", lambda o: o.unfold(NCHW, 3)),
    ("unfold_options", lambda o: o.unfold(NCHW, (2, 3), dilation=2, padding=1, stride=(2, 1))),
    ("fold", lambda o: o.fold(ops.unfold(NCHW, 3), (7, 6), 3)),
    (
        "fold_options",
        lambda o: o.fold(
            ops.unfold(NCHW, 2, dilation=1, padding=1, stride=2), (7, 6), 2, padding=1, stride=2
        ),
    ),
    ("ctc_loss", lambda o: o.ctc_loss(np.array([[1, 2, 0], [3, 0, 0]]), SEQUENCE, [2, 1], [9, 7])),
    ("ctc_decode_greedy", lambda o: o.ctc_decode(CTC_SCORES, [6, 4])),
    (
        "ctc_decode_beam",
        lambda o: o.ctc_decode(CTC_SCORES, [6, 5], strategy="beam_search", beam_width=4),
    ),
    ("rearrange", lambda o: o.rearrange(IMAGES, "b h w c -> b c h w")),
    ("rearrange_merge", lambda o: o.rearrange(IMAGES, "b h w c -> (b h) w c")),
    (
        "rearrange_split",
        lambda o: o.rearrange(IMAGES, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=3),
    ),
    (
        "rearrange_depth",
        lambda o: o.rearrange(IMAGES, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2),
    ),
]

RNG_KERNEL_2D = RNG.normal(size=(3, 2, 5, 8)).astype("float32")
RNG_KERNEL_1D = RNG.normal(size=(3, 4, 3)).astype("float32")


def _assert_same(ours, theirs, name):
    ours_flat, theirs_flat = tf.nest.flatten(ours), tf.nest.flatten(theirs)
    assert len(ours_flat) == len(theirs_flat), name
    for our_value, their_value in zip(ours_flat, theirs_flat, strict=True):
        our_value, their_value = (
            np.asarray(our_value),
            np.asarray(keras.ops.convert_to_numpy(their_value)),
        )
        assert our_value.shape == their_value.shape, (
            f"{name}: {our_value.shape} != {their_value.shape}"
        )
        assert our_value.dtype == their_value.dtype, (
            f"{name}: {our_value.dtype} != {their_value.dtype}"
        )
        if our_value.dtype.kind in "biu":
            np.testing.assert_array_equal(our_value, their_value, err_msg=name)
        else:
            np.testing.assert_allclose(
                our_value, their_value, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=name
            )


@pytest.mark.parametrize("name, call", CASES, ids=[case[0] for case in CASES])
def test_op_matches_keras(name, call):
    ours, theirs = both(call)
    _assert_same(ours, theirs, name)


@pytest.mark.parametrize("name, call", CASES, ids=[case[0] for case in CASES])
def test_op_inside_tf_function_matches_eager(name, call):
    compiled = tf.function(lambda: call(ops))()
    _assert_same(compiled, call(ops), name)


@pytest.mark.parametrize("kth", [0, 2, 4])
@pytest.mark.parametrize("axis", [-1, 0, None])
def test_argpartition_partitions_like_numpy(kth, axis):
    data = RNG.normal(size=(5, 6)).astype("float32")
    indices = np.asarray(ops.argpartition(data, kth, axis=axis))
    reference = np.argpartition(data, kth, axis=axis)
    assert indices.shape == reference.shape
    flat = data.reshape(-1) if axis is None else data
    axis = 0 if axis is None else axis
    parted = np.take_along_axis(flat, indices, axis=axis)
    expected = np.take(np.sort(flat, axis=axis), [kth], axis=axis)
    np.testing.assert_array_equal(np.take(parted, [kth], axis=axis), expected)
    before = np.take(parted, range(kth), axis=axis)
    after = np.take(parted, range(kth + 1, flat.shape[axis]), axis=axis)
    assert np.all(before <= expected) and np.all(after >= expected)
    np.testing.assert_array_equal(np.sort(indices, axis=axis), np.sort(reference, axis=axis))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length", [1, 2, 5, 8, 11])
def test_associative_scan_matches_keras(reverse, length):
    values = RNG.normal(size=(length, 3)).astype("float32")
    for f in (lambda a, b: a + b, lambda a, b: tf.maximum(a, b)):
        ours = ops.associative_scan(f, values, reverse=reverse)
        theirs = keras.ops.associative_scan(f, values, reverse=reverse)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # A structure, scanned along axis 1, with a non-commutative combination.
    pairs = (values.T, RNG.normal(size=(3, length)).astype("float32"))

    def affine(first, second):
        return first[0] * second[0], first[1] * second[0] + second[1]

    ours = ops.associative_scan(affine, pairs, reverse=reverse, axis=1)
    theirs = keras.ops.associative_scan(affine, pairs, reverse=reverse, axis=1)
    _assert_same(ours, theirs, "associative_scan")
    compiled = tf.function(lambda: ops.associative_scan(affine, pairs, reverse=reverse, axis=1))
    _assert_same(compiled(), ours, "associative_scan compiled")


def test_vectorize_matches_numpy():
    def scaled_dot(a, b):
        return tf.reduce_sum(a * b) * 2.0

    # Keras 3's `vectorize` raises on TensorFlow whatever the arguments, so NumPy is the
    # reference here.
    ours = ops.vectorize(scaled_dot, signature="(n),(n)->()")(X, Y)
    np.testing.assert_allclose(ours, (X * Y).sum(-1) * 2, rtol=1e-5)
    np.testing.assert_allclose(
        ops.vectorize(lambda a, b: a * b + 1.0)(X, Y),
        np.vectorize(lambda a, b: a * b + 1.0)(X, Y),
        rtol=1e-6,
    )
    np.testing.assert_allclose(ops.vectorize(lambda a, b: a - b)(X, W[:1]), X - W[:1])
    outer = ops.vectorize(lambda a: tf.stack([a, -a]), signature="()->(k)")(W)
    np.testing.assert_allclose(outer, np.stack([W, -W], axis=-1))
    scaled = ops.vectorize(lambda a, scale: a * scale, excluded={1})(X, 3.0)
    np.testing.assert_allclose(scaled, X * 3.0, rtol=1e-6)
    compiled = tf.function(lambda x, y: ops.vectorize(scaled_dot, signature="(n),(n)->()")(x, y))
    np.testing.assert_allclose(compiled(X, Y), ours, rtol=1e-6)


@pytest.mark.parametrize("has_aux", [False, True])
def test_jvp_matches_keras(has_aux):
    def function(a, b):
        result = keras.ops.sin(a) * b + a**2
        return (result, {"aux": a}) if has_aux else result

    def our_function(a, b):
        result = ops.sin(a) * b + a**2
        return (result, {"aux": a}) if has_aux else result

    # Keras 3's `jvp` needs tensors as primals on TensorFlow.
    primals = (tf.constant(W), tf.constant(W[::-1].copy()))
    tangents = (np.ones(3, "float32"), W)
    ours = ops.jvp(our_function, primals, tangents, has_aux=has_aux)
    theirs = keras.ops.jvp(function, primals, tangents, has_aux=has_aux)
    _assert_same(ours, theirs, "jvp")
    expected = np.cos(W) * W[::-1] + 2 * W + np.sin(W) * W
    np.testing.assert_allclose(ours[1], expected, rtol=1e-5)


def test_eig_reconstructs_the_matrix_like_keras():
    values, vectors = ops.eig(SQUARE)
    their_values, _ = keras.ops.eig(SQUARE)
    assert values.dtype == their_values.dtype
    np.testing.assert_allclose(
        np.sort_complex(np.asarray(values)), np.sort_complex(np.asarray(their_values)), atol=1e-5
    )
    rebuilt = np.asarray(vectors) @ np.diag(np.asarray(values)) @ np.linalg.inv(vectors)
    np.testing.assert_allclose(rebuilt.real, SQUARE, atol=1e-4)


def test_lu_factor_and_unique_reconstruct_their_inputs():
    lu, pivots = ops.lu_factor(SQUARE)
    lower = np.tril(np.asarray(lu), -1) + np.eye(4)
    upper = np.triu(np.asarray(lu))
    np.testing.assert_allclose((lower @ upper)[np.asarray(pivots)], SQUARE, atol=1e-5)
    values, inverse = ops.unique(INTS % 5, return_inverse=True)
    np.testing.assert_array_equal(np.asarray(values)[np.asarray(inverse)], INTS % 5)


def test_new_ops_build_functional_models():
    import kerascore

    inputs = kerascore.Input((4, 6, 8))
    outputs = ops.sparsemax(ops.rearrange(ops.depth_to_space(inputs, 2), "b h w c -> b (h w c)"))
    model = kerascore.Model(inputs, outputs)
    assert tuple(model.outputs[0].shape) == (None, 192)
    expected = keras.ops.sparsemax(
        keras.ops.rearrange(keras.ops.depth_to_space(IMAGES, 2), "b h w c -> b (h w c)")
    )
    np.testing.assert_allclose(model(IMAGES), expected, rtol=1e-5, atol=1e-6)


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match="mode='wide'"):
        ops.correlate(V, W, mode="wide")
    with pytest.raises(ValueError, match="bins=-1"):
        ops.histogram(V, bins=-1)
    with pytest.raises(ValueError, match=r"x.shape=\(3, 4\)"):
        ops.histogram(X)
    with pytest.raises(ValueError, match="strategy='exhaustive'"):
        ops.ctc_decode(CTC_SCORES, [6, 4], strategy="exhaustive")
    with pytest.raises(ValueError, match="window='bartlett'"):
        ops.stft(SIGNAL, 16, 8, 16, window="bartlett")
    with pytest.raises(ValueError, match="fft_length=8"):
        ops.stft(SIGNAL, 16, 8, 8)
    with pytest.raises(ValueError, match=r"x.shape=\(3, 4\)"):
        ops.view_as_complex(X)
    with pytest.raises(ValueError, match="kth=9"):
        ops.argpartition(X, 9)
    with pytest.raises(ValueError, match="pattern="):
        ops.rearrange(X, "a b c -> c b a")
    with pytest.raises(ValueError, match="rank 3 to 5"):
        ops.adaptive_average_pool(X, 2)
    with pytest.raises(TypeError, match="integers"):
        ops.gcd(X, Y)
    with pytest.raises(ValueError, match="dtype='float64'"):
        ops.view(X[:, :3], "float64")

"""`IntegerLookup`: integers to vocabulary indices."""

from kerascore.layers.preprocessing.index_lookup import IndexLookup
from kerascore.saving.serialization import register_builtin


@register_builtin
class IntegerLookup(IndexLookup):
    """Maps integers to contiguous int ids through a vocabulary (or back with `invert`).

    Args:
        max_tokens: the maximum vocabulary size, special tokens included; None: no limit.
        num_oov_indices: how many ids out-of-vocabulary values map into (0: they raise).
        mask_token: an int that maps to id 0; None: no mask id.
        oov_token: the value returned for unknown ids with `invert=True` (-1).
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        pad_to_max_tokens: make encoded outputs `max_tokens` wide.
        sparse: must be False.
        vocabulary: a list of ints; or learn it with `adapt`.
        vocabulary_dtype: `"int64"` (default) or `"int32"`.
        idf_weights: inverse document frequencies for `output_mode="tf_idf"`.
        invert: map ids to values instead.

    Example:
        layer = keras.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        layer([[12, 1138, 42], [42, 1000, 36]])  # [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        name=None,
        **kwargs,
    ):
        if vocabulary_dtype not in ("int32", "int64"):
            raise ValueError(
                "`vocabulary_dtype` must be 'int32' or 'int64'. Received: "
                f"vocabulary_dtype={vocabulary_dtype!r}"
            )
        if mask_token is not None:
            mask_token = int(mask_token)
        if oov_token is not None:
            oov_token = int(oov_token)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary_dtype=vocabulary_dtype,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            name=name,
            **kwargs,
        )

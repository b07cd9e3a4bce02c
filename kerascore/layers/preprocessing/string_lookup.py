"""`StringLookup`: strings to vocabulary indices."""

from kerascore.layers.preprocessing.index_lookup import IndexLookup
from kerascore.saving.serialization import register_builtin


@register_builtin
class StringLookup(IndexLookup):
    """Maps strings to int ids through a vocabulary (or ids back to strings with `invert`).

    Args:
        max_tokens: the maximum vocabulary size, special tokens included; None: no limit.
        num_oov_indices: how many ids out-of-vocabulary strings hash into (0: they raise).
        mask_token: a string that maps to id 0 (and is masked); None: no mask id.
        oov_token: the token returned for unknown ids with `invert=True`.
        vocabulary: a list of strings; or learn it with `adapt`.
        idf_weights: inverse document frequencies for `output_mode="tf_idf"`.
        invert: map ids to strings instead.
        output_mode: `"int"`, `"one_hot"`, `"multi_hot"`, `"count"` or `"tf_idf"`.
        pad_to_max_tokens: make encoded outputs `max_tokens` wide.
        sparse: must be False.
        encoding: the text encoding; only UTF-8.

    Example:
        layer = keras.layers.StringLookup(vocabulary=["a", "b", "c"])
        layer([["a", "c"], ["d", "b"]])  # [[1, 3], [0, 2]]
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        if encoding.lower().replace("-", "") != "utf8":
            raise ValueError(f"Only UTF-8 is supported. Received: encoding={encoding!r}")
        kwargs.pop("vocabulary_dtype", None)
        self.encoding = encoding
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary_dtype="string",
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            name=name,
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        config.pop("vocabulary_dtype")
        return {**config, "encoding": self.encoding}

"""The word-index arithmetic IMDB and Reuters share."""


def shift_indices(sequences, start_char, index_from):
    """Prepends `start_char` (unless `None`) and adds `index_from` to every word index."""
    prefix = [] if start_char is None else [start_char]
    return [prefix + [w + index_from for w in seq] for seq in sequences]


def drop_long(maxlen, sequences, labels):
    """Keeps the sequences strictly shorter than `maxlen`, with their labels."""
    kept = [(seq, label) for seq, label in zip(sequences, labels) if len(seq) < maxlen]
    return [seq for seq, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Replaces (or drops, when `oov_char` is `None`) the indices outside
    `[skip_top, num_words)`; `num_words=None` means the largest index present."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]

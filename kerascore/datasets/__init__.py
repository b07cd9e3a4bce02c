"""Small NumPy datasets, as `keras.datasets`: each `load_data` fetches its file once through
`kerascore.utils.get_file` and works offline when the file is in the cache."""

from kerascore.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]

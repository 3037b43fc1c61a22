"""Small conveniences for notebooks: printing arrays the way the talks do, growing a class one
method per cell."""
from __future__ import annotations

from typing import Callable

import numpy as np


def array_print(array, decimals: int = 2) -> None:
    """Print an array rounded to `decimals`, then its dimensions in words.

    >>> array_print(np.array([[1, 0, 0]]))
    The array:
     [[1 0 0]]
    The dimensions are 1 row and 3 columns
    """
    array = np.asarray(array)
    with np.printoptions(precision=decimals, suppress=True, floatmode="fixed" if array.dtype.kind == "f" else "maxprec"):
        print("The array:\n", array)
    if array.ndim == 2:
        rows, columns = array.shape
        print(f"The dimensions are {rows} row{'s' * (rows != 1)} and {columns} column{'s' * (columns != 1)}")
    else:
        print(f"The shape is {array.shape}")


def add_to_class(cls: type) -> Callable:
    """Decorator that attaches the function it decorates to `cls` as a method (as in d2l.ai).

    It lets a notebook write a class one method per cell, so each method can be an exercise
    with its own test::

        @add_to_class(FullyConnected)
        def fprop(self, layer_input):
            ...
    """
    def attach(function: Callable) -> Callable:
        setattr(cls, function.__name__, function)
        return function
    return attach

"""Data sets of the course. Everything comes from scikit-learn or is made here: no downloads."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import make_moons


def moons(n_samples: int = 50, noise: float = 0.1, random_state: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X of shape (n, 2), y a column of 0/1 of shape (n, 1)."""
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return X, y.reshape(-1, 1)


def xor(n: int = 1000, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """n random corners of the unit square and their XOR label.

    x: integers of shape (n, 2), every row one of (0, 0), (0, 1), (1, 0), (1, 1);
    y: booleans of shape (n,), True where exactly one of the two is 1 (``x[:, 0] != x[:, 1]``).
    """
    rng = np.random.default_rng(seed)
    x = rng.integers(2, size=(n, 2))
    return x, x[:, 0] != x[:, 1]

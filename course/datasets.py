"""Data sets of the course. Everything comes from scikit-learn or is made here: no downloads."""
from __future__ import annotations

import numpy as np
from sklearn.datasets import make_moons


def moons(n_samples: int = 50, noise: float = 0.1, random_state: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X of shape (n, 2), y a column of 0/1 of shape (n, 1)."""
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
    return X, y.reshape(-1, 1)

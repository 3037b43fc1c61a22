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


# --- 05_deep_learning_from_scratch: the talk's `helpers` module, data half ----------------------

def generate_x_y():
    """The talk's eight observations of three binary features, and their 0/1 target.

    Returns ``(df, X, Y)``: a pandas DataFrame with columns X1, X2, X3, y; X of shape (8, 3);
    Y of shape (8, 1). The target is a multiplexer: X3 chooses which of X1 and X2 it copies
    (y = X1 when X3 = 0, y = X2 when X3 = 1), which no single linear boundary can separate.
    """
    import pandas as pd

    X = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0],
                  [1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 1, 1]])
    Y = np.where(X[:, 2] == 0, X[:, 0], X[:, 1]).reshape(-1, 1)
    df = pd.DataFrame({"X1": X[:, 0], "X2": X[:, 1], "X3": X[:, 2], "y": Y[:, 0]})
    return df, X, Y


def one_hot(labels, n_classes: int = 10) -> np.ndarray:
    """Integer labels of shape (n,) as rows of a one-hot matrix of shape (n, n_classes)."""
    labels = np.asarray(labels).astype(int).ravel()
    return np.eye(n_classes)[labels]


def get_mnist_X_Y(mnist=None, max_images: int | None = 10_000, seed: int = 0):
    """Images and one-hot labels for a ten-digit classifier: X (n, pixels) in [0, 1], Y (n, 10).

    `mnist` is what `course.mnist.load_mnist()` returned: ``(X, y)``, or None when MNIST is not on
    this machine, in which case scikit-learn's 8x8 digits (1,797 images of 64 pixels) stand in.
    More than `max_images` digits (the full 70,000 after a download) are cut down to a random
    `max_images` of them, drawn with `seed`, so that 05's training cells take seconds, not
    minutes; ``max_images=None`` keeps them all.
    """
    if mnist is None:
        from sklearn.datasets import load_digits

        digits = load_digits()
        print(f"Using scikit-learn's 8x8 digits instead: {len(digits.target)} images "
              f"of {digits.data.shape[1]} pixels.")
        return digits.data / 16.0, one_hot(digits.target)
    X, y = mnist
    X, y = np.asarray(X), np.asarray(y)
    if max_images is not None and len(X) > max_images:
        keep = np.sort(np.random.default_rng(seed).choice(len(X), size=max_images, replace=False))
        print(f"Keeping a random {max_images:,} of the {len(X):,} MNIST digits, so that training "
              f"takes seconds (get_mnist_X_Y(mnist, max_images=None) keeps them all).")
        X, y = X[keep], y[keep]
    X = np.asarray(X, dtype=np.float64)
    if X.max(initial=0.0) > 1.0:  # pixels as 0..255 bytes: scale them to [0, 1] like the 8x8 digits
        X = X / 255.0
    return X, one_hot(y)

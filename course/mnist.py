"""MNIST without downloading: local IDX files, or scikit-learn's fetch_openml cache.

`load_mnist()` looks, in order, at
1. the folder given as `path`, or in the environment variable `COURSE_MNIST_DIR`, holding the
   standard IDX files (`*-images-idx3-ubyte[.gz]` and `*-labels-idx1-ubyte[.gz]`);
2. scikit-learn's cache of OpenML's `mnist_784` (filled once by `fetch_openml("mnist_784")` on a
   machine with internet), read without touching the network.
When neither is there it says so and returns None, and the notebooks carry on with the 8x8
digits that ship with scikit-learn.
"""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

ENV_VAR = "COURSE_MNIST_DIR"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped): unsigned-byte data with its dimensions."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {int(np.prod(dims))} bytes of data for shape {dims}, "
                         f"found {len(data) - offset}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def _find(folder: Path, kind: str) -> list[Path]:
    return sorted(folder.glob(f"*-{kind}-idx*-ubyte*"))


def load_idx_folder(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """All image/label IDX pairs in `folder` (train before test), as X (n, 784) in [0, 1] and y (n,)."""
    folder = Path(folder)
    images, labels = _find(folder, "images"), _find(folder, "labels")
    if not images or len(images) != len(labels):
        raise FileNotFoundError(f"no matching MNIST image and label IDX files in {folder}")
    # 'train-...' sorts after 't10k-...': put the training files first when both are there.
    images.sort(key=lambda p: not p.name.startswith("train"))
    labels.sort(key=lambda p: not p.name.startswith("train"))
    X = np.concatenate([read_idx(p).reshape(-1, 28 * 28) for p in images]).astype(np.float64) / 255.0
    y = np.concatenate([read_idx(p) for p in labels]).astype(np.int64)
    if len(X) != len(y):
        raise ValueError(f"{folder}: {len(X)} images but {len(y)} labels")
    return X, y


def _openml_cache(data_home: str | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    from sklearn.datasets import fetch_openml, get_data_home

    cache = Path(get_data_home(data_home)) / "openml" / "openml.org"
    if not any(cache.glob("api/v1/json/data/list/data_name/mnist_784*")):
        return None
    try:
        X, y = fetch_openml("mnist_784", version=1, data_home=data_home, return_X_y=True,
                            as_frame=False, n_retries=1, delay=0.0)
    except Exception:  # an incomplete cache would need the network: treat as absent
        return None
    return np.asarray(X, dtype=np.float64) / 255.0, np.asarray(y).astype(np.int64)


def load_mnist(path: str | os.PathLike | None = None, verbose: bool = True):
    """MNIST as (X, y): X of shape (n, 784) scaled to [0, 1], y of shape (n,) with digits 0-9.

    Returns None, after saying why, when no local copy is found. Never downloads.
    """
    folder = path or os.environ.get(ENV_VAR)
    if folder:
        try:
            X, y = load_idx_folder(folder)
        except (FileNotFoundError, ValueError) as error:
            if verbose:
                print(f"MNIST: could not read {folder}: {error}")
        else:
            if verbose:
                print(f"MNIST: {len(X)} digits from the IDX files in {folder}")
            return X, y
    cached = _openml_cache()
    if cached is not None:
        if verbose:
            print(f"MNIST: {len(cached[0])} digits from scikit-learn's OpenML cache")
        return cached
    if verbose:
        print(f"MNIST is not on this machine (set {ENV_VAR} to a folder of IDX files, or run "
              "sklearn.datasets.fetch_openml('mnist_784') once with internet). "
              "Carrying on with scikit-learn's 8x8 digits.")
    return None

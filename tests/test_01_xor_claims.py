"""The numbers 01_xor's text states about the XOR notebook's loops and about linear models on
XOR, measured again: the notebook says them in words, these tests keep them true."""
from __future__ import annotations

import numpy as np
import pytest

# The notebook's data: 1000 corners of the unit square, labels x1 XOR x2.
_rng = np.random.default_rng(7)
X = _rng.integers(2, size=(1000, 2))
Y = X[:, 0] != X[:, 1]


def xor_notebook_loop(lr: float, leaky: bool, steps: int = 100, seed: int = 0) -> tuple[np.ndarray, bool]:
    """The XOR notebook's loop: np.random.rand(...) / 10000 start, summed squared loss, no
    intercepts, 100 hidden units. Returns the accuracy before each update, and whether the
    last predictions are finite numbers."""
    np.random.seed(seed)
    first = np.random.rand(2, 100) / 10000
    second = np.random.rand(100) / 10000
    accuracies = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            pre = X @ first
            features = np.where(pre < 0, 0.1 * pre, pre) if leaky else pre
            yhat = features @ second
            dl_dyhat = 2 * (yhat - Y)
            dl_dsecond = features.T @ dl_dyhat
            dl_dfeatures = np.outer(dl_dyhat, second)
            if leaky:
                dl_dfeatures = dl_dfeatures * np.where(pre > 0, 1.0, 0.1)
            first, second = first - lr * (X.T @ dl_dfeatures), second - lr * dl_dsecond
            accuracies.append(((yhat > 0.5) == Y).mean())
    return np.array(accuracies), bool(np.isfinite(yhat).all())


@pytest.mark.parametrize("leaky", [False, True])
@pytest.mark.parametrize("lr", [1e-6, 1e-5, 1e-4, 1e-3, 2e-3])
def test_small_rates_stay_at_about_half(lr, leaky):
    accuracies, finite = xor_notebook_loop(lr, leaky)
    assert accuracies.max() <= 0.51 and finite


@pytest.mark.parametrize("leaky", [False, True])
@pytest.mark.parametrize("lr", [2.2e-3, 3e-3, 1e-2, 0.1, 1, 100])
def test_larger_rates_touch_three_corners_but_never_four(lr, leaky):
    accuracies, _ = xor_notebook_loop(lr, leaky)
    assert 0.74 <= accuracies.max() < 0.76   # every point but (0, 0) called True
    assert accuracies[-1] in (0.244, 0.498)  # then back to 24% or 50%


@pytest.mark.parametrize("leaky", [False, True])
def test_the_weights_overflow_from_0003_or_0004(leaky):
    assert xor_notebook_loop(2.8e-3, leaky)[1]       # still finite
    assert not xor_notebook_loop(4e-3, leaky)[1]     # overflowed to NaN


def test_linear_fits_with_and_without_an_intercept():
    without = np.linalg.lstsq(X.astype(float), Y.astype(float), rcond=None)[0]
    mse_without = np.mean((X @ without - Y) ** 2)
    with_intercept = np.c_[np.ones(len(X)), X]
    mse_with = np.mean((with_intercept @ np.linalg.lstsq(with_intercept, Y.astype(float), rcond=None)[0] - Y) ** 2)
    assert mse_without == pytest.approx(1 / 3, abs=0.01)  # "about 1/3"
    assert mse_with == pytest.approx(1 / 4, abs=0.01)     # "about 1/4"
    corners = np.array([[0, 1], [1, 0], [1, 1]]) @ without
    assert corners[:2] == pytest.approx([1 / 3, 1 / 3], abs=0.03) and corners[2] == pytest.approx(2 / 3, abs=0.03)
    assert ((X @ without > 0.5) == Y).mean() == pytest.approx(0.244)  # only (0, 0) right

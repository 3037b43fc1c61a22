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
@pytest.mark.parametrize("lr", [1e-6, 1e-5, 1e-4])
def test_its_own_rates_and_below_stay_at_half(lr, leaky):
    accuracies, finite = xor_notebook_loop(lr, leaky)
    assert set(accuracies) == {0.498} and finite  # every prediction below 0.5


@pytest.mark.parametrize("leaky", [False, True])
@pytest.mark.parametrize("lr", [1.2e-4, 2e-4, 5e-4, 1e-3, 1.2e-3])
def test_from_000012_the_loops_fall_to_24_percent(lr, leaky):
    """The best fit without an intercept: only (0, 0) right."""
    accuracies, finite = xor_notebook_loop(lr, leaky)
    assert accuracies[-1] == 0.244 and accuracies.max() <= 0.51 and finite


@pytest.mark.parametrize("leaky", [False, True])
@pytest.mark.parametrize("lr", [1.5e-3, 1.8e-3, 2e-3])
def test_from_00015_to_0002_they_alternate_between_24_and_50_percent(lr, leaky):
    accuracies, finite = xor_notebook_loop(lr, leaky)
    late = set(accuracies[50:].round(3))
    assert {0.244, 0.498} <= late <= {0.244, 0.498, 0.502} and accuracies.max() <= 0.51 and finite


@pytest.mark.parametrize("lr", [1e-5, 1e-4, 5e-4, 2e-3, 2.2e-3])
def test_up_to_about_0002_both_loops_take_the_same_steps(lr):
    """From all-positive starting weights the leaky ReLU never bends."""
    assert np.array_equal(xor_notebook_loop(lr, False)[0], xor_notebook_loop(lr, True)[0])


def test_when_the_steps_overshoot_the_two_loops_part():
    assert not np.array_equal(xor_notebook_loop(2.8e-3, False)[0], xor_notebook_loop(2.8e-3, True)[0])


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

"""The talk's network with one hidden layer, P = σ(σ(X·V)·W): the training loop and accuracies
of 05_deep_learning_from_scratch (the `helpers` module the talk imports but never shows).

The loop takes the student's ``learn(V, W, x_batch, y_batch)`` as an argument: the backward pass
lives in the notebook, never here. The forward pass below is the one the notebook shows as given
code before the exercises start.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.special import expit


def init_weights(n_inputs: int, n_hidden: int, n_outputs: int, seed: int = 0):
    """Random V (n_inputs, n_hidden) and W (n_hidden, n_outputs).

    Normal draws scaled by 1/sqrt(fan-in), so that on 64 or 784 pixels the first sums stay near
    the sigmoid's slope instead of saturating it (the talk's unscaled np.random.randn does).
    """
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n_inputs, n_hidden)) / np.sqrt(n_inputs)
    W = rng.standard_normal((n_hidden, n_outputs)) / np.sqrt(n_hidden)
    return V, W


def predict(X, V, W) -> np.ndarray:
    """The forward pass P = σ(σ(X·V)·W), shape (n, n_outputs)."""
    return expit(expit(np.asarray(X, dtype=float) @ V) @ W)


def mean_loss(X, Y, V, W) -> float:
    """The loss ½ Σ (y − p)² averaged over the rows (so data sets of any size compare)."""
    P = predict(X, V, W)
    return float(0.5 * np.sum((np.asarray(Y, dtype=float) - P) ** 2) / len(P))


def _checked(result, V, W):
    """learn must hand back (V, W) with the shapes it received."""
    try:
        V_new, W_new = result
        ok = np.shape(V_new) == V.shape and np.shape(W_new) == W.shape
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"learn(V, W, x_batch, y_batch) must return the pair (V, W) with shapes "
                         f"{V.shape} and {W.shape}; it returned {type(result).__name__} "
                         f"{getattr(result, 'shape', '')}".rstrip())
    return np.asarray(V_new, dtype=float), np.asarray(W_new, dtype=float)


def train_and_display(learn: Callable, X, Y, epochs: int, n_hidden: int, batch_size: int | None = None,
                      seed: int = 0, show: bool = True, ax=None, log: bool = False):
    """Train the two-layer network with the student's `learn` and show how the loss falls.

    Starts from `init_weights(seed=seed)`, then for each epoch hands `learn` the rows in
    mini-batches of `batch_size` (all rows at once by default; shuffled with the same seed
    otherwise). With `show`, prints the loss at eleven epochs, as the talk does, and plots the loss
    curve (whole-number epochs; `log=True` for a log axis, which keeps the curve readable when the
    first epoch's loss is far above the rest). Returns the trained (V, W).
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    n = len(X)
    batch_size = batch_size or n
    V, W = init_weights(X.shape[1], n_hidden, Y.shape[1], seed)
    rng = np.random.default_rng(seed)
    losses = [mean_loss(X, Y, V, W)]
    for _ in range(epochs):
        order = rng.permutation(n) if batch_size < n else np.arange(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            V, W = _checked(learn(V.copy(), W.copy(), X[rows], Y[rows]), V, W)
        losses.append(mean_loss(X, Y, V, W))
    if show:
        import pandas as pd

        from .plots import loss_curve

        shown = sorted(set(np.linspace(0, epochs, 11).round().astype(int)))
        print(pd.DataFrame({"epoch": shown, "loss": [round(losses[e], 4) for e in shown]}).to_string(index=False))
        loss_curve(losses, ax=ax, title=f"Training loss ({n} rows, {n_hidden} hidden neurons)",
                   ylabel="mean loss ½(y − p)² per row" + (" (log scale)" if log else ""), log=log)
    return V, W


def accuracy_binary(X, Y, V, W, show: bool = True) -> float:
    """Share of rows whose prediction, rounded at 0.5, equals the 0/1 target."""
    P = predict(X, V, W)
    accuracy = float(np.mean((P > 0.5) == (np.asarray(Y) > 0.5)))
    if show:
        import pandas as pd

        frame = pd.DataFrame({"Actual": np.ravel(Y).astype(float), "Predicted": np.ravel(P).round(2)})
        print("The predictions of this neural net:\n", frame.to_string(), sep="")
        print("The accuracy of this trained neural net is", accuracy)
    return accuracy


def accuracy_multiclass(X, Y, V, W) -> float:
    """Share of rows whose largest output is at the position of the one-hot target's 1."""
    P = predict(X, V, W)
    return float(np.mean(P.argmax(axis=1) == np.asarray(Y).argmax(axis=1)))

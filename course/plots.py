"""The course's pictures. Every function draws on a Matplotlib Axes (a new one by default),
gives it a title and labelled axes, and returns it."""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax=None, figsize=(5, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def scatter_classes(X: np.ndarray, y: np.ndarray, ax=None, title: str = "Data",
                    xlabel: str = "x1", ylabel: str = "x2"):
    """Points of a two-feature data set coloured by their 0/1 class."""
    ax = _axes(ax)
    points = ax.scatter(X[:, 0], X[:, 1], c=np.ravel(y), cmap="coolwarm", edgecolors="k", linewidths=0.3)
    ax.legend(*points.legend_elements(), title="class", loc="best")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def loss_curve(losses: Sequence[float], ax=None, title: str = "Training loss",
               xlabel: str = "epoch", ylabel: str = "loss", label: str | None = None):
    """A loss (or any metric) per training step."""
    ax = _axes(ax)
    ax.plot(np.arange(len(losses)), losses, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if label:
        ax.legend()
    return ax


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                      ax=None, title: str = "Decision boundary", resolution: int = 200,
                      margin: float = 0.5):
    """Filled contours of `predict` (probability of class 1 for an (m, 2) array) over the data,
    the 0.5 contour as the boundary, and the data on top."""
    ax = _axes(ax, figsize=(6, 4.5))
    x1 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x2 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    grid1, grid2 = np.meshgrid(x1, x2)
    Z = np.asarray(predict(np.column_stack([grid1.ravel(), grid2.ravel()]))).reshape(grid1.shape)
    filled = ax.contourf(grid1, grid2, Z, levels=np.linspace(0, 1, 11), alpha=0.7, cmap="coolwarm")
    ax.contour(grid1, grid2, Z, levels=[0.5], colors="k", linewidths=1.5)
    ax.figure.colorbar(filled, ax=ax, label="predicted probability of class 1")
    scatter_classes(X, y, ax=ax, title=title)
    return ax


def network_diagram(layer_sizes: Sequence[int], ax=None, title: str = "A fully connected network",
                    layer_names: Sequence[str] | None = None, max_drawn: int = 10):
    """Neurons as circles, one column per layer, every neuron joined to every neuron of the next
    layer. Layers wider than `max_drawn` show their first and last neurons around a gap, with
    their true size written underneath."""
    ax = _axes(ax, figsize=(2.2 * len(layer_sizes) + 1, 4.5))
    names = list(layer_names) if layer_names else (
        ["input"] + [f"hidden {i}" for i in range(1, len(layer_sizes) - 1)] + ["output"])
    spacing = 4.0  # horizontal distance between layers, in neuron spacings

    def drawn(n):
        """Vertical positions of the neurons drawn for a layer of n (None marks the gap)."""
        if n <= max_drawn:
            return list(np.linspace((n - 1) / 2, -(n - 1) / 2, n))
        top = list(np.arange(max_drawn // 2)[::-1] + 1.5)
        return top + [None] + [-y for y in top[::-1]]

    columns = [drawn(n) for n in layer_sizes]
    for i, (left, right) in enumerate(zip(columns[:-1], columns[1:])):
        for y0 in (y for y in left if y is not None):
            for y1 in (y for y in right if y is not None):
                ax.plot([i * spacing, (i + 1) * spacing], [y0, y1], color="0.8", linewidth=0.5, zorder=1)
    lowest = min(y for column in columns for y in column if y is not None)
    for i, (column, n) in enumerate(zip(columns, layer_sizes)):
        for y in column:
            if y is None:
                ax.text(i * spacing, 0, "\u22ee", ha="center", va="center", fontsize=16)
            else:
                ax.add_patch(plt.Circle((i * spacing, y), 0.32, facecolor="white", edgecolor="C0", zorder=2))
        ax.text(i * spacing, lowest - 0.8, f"{names[i]}\n{n} neurons", ha="center", va="top")
    ax.set_xlim(-1.5, (len(layer_sizes) - 1) * spacing + 1.5)
    ax.set_ylim(lowest - 2.6, -lowest + 0.8)
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def function_and_derivative(f: Callable, x: np.ndarray, name: str, ax=None):
    """`f(x)` and `f(x, derivative=True)` against x: an activation function and its slope."""
    ax = _axes(ax, figsize=(6, 4))
    ax.plot(x, f(x), label=name)
    ax.plot(x, f(x, derivative=True), label=f"{name} derivative", linestyle="--")
    ax.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.8", linewidth=0.8, zorder=0)
    ax.set(title=f"{name} and its derivative", xlabel="x", ylabel="value")
    ax.legend()
    return ax


def image_grid(images: np.ndarray, image_shape: tuple[int, int], n_rows: int = 8, n_cols: int = 8,
               labels: Sequence | None = None, ax=None, title: str = "Images"):
    """The first `n_rows * n_cols` rows of `images` (one flattened image per row) tiled into one
    grey picture, each tile with its label in the corner when `labels` is given."""
    height, width = image_shape
    ax = _axes(ax, figsize=(n_cols * 0.75, n_rows * 0.75 + 0.4))
    pad = max(1, height // 8)
    mosaic = np.full((n_rows * (height + pad) + pad, n_cols * (width + pad) + pad), np.nan)
    for index, image in enumerate(np.asarray(images)[: n_rows * n_cols]):
        row, col = divmod(index, n_cols)
        top, left = pad + row * (height + pad), pad + col * (width + pad)
        mosaic[top: top + height, left: left + width] = np.reshape(image, image_shape)
        if labels is not None:
            ax.text(left - pad / 2, top - pad / 2, str(labels[index]), color="C3", fontsize=7,
                    ha="left", va="top")
    ax.imshow(mosaic, cmap="gray_r", interpolation="nearest")
    ax.set_title(title)
    ax.set_axis_off()
    return ax

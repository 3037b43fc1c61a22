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
               xlabel: str = "epoch", ylabel: str = "loss", label: str | None = None,
               log: bool = False, start: int = 0):
    """A loss (or any metric) per training step, steps counted from `start`.

    The step axis has whole-number ticks (there is no epoch 2.5). `log=True` puts the values on
    a log scale, which keeps a curve readable when its first points are far above the rest.
    """
    from matplotlib.ticker import MaxNLocator

    ax = _axes(ax)
    ax.plot(start + np.arange(len(losses)), losses, label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if log:
        ax.set_yscale("log")
    if label:
        ax.legend()
    return ax


def decision_boundary(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray,
                      ax=None, title: str = "Decision boundary", resolution: int = 200,
                      margin: float = 0.5, label: str = "predicted probability of class 1"):
    """Filled contours of `predict` (a score in [0, 1] for each row of an (m, 2) array) over the
    data, the 0.5 contour as the boundary, and the data on top.

    `label` names what the colour shows: a probability for a sigmoid with log loss, a plain
    output for a network trained with squared loss (01, 03).
    """
    ax = _axes(ax, figsize=(6, 4.5))
    x1 = np.linspace(X[:, 0].min() - margin, X[:, 0].max() + margin, resolution)
    x2 = np.linspace(X[:, 1].min() - margin, X[:, 1].max() + margin, resolution)
    grid1, grid2 = np.meshgrid(x1, x2)
    Z = np.asarray(predict(np.column_stack([grid1.ravel(), grid2.ravel()]))).reshape(grid1.shape)
    filled = ax.contourf(grid1, grid2, Z, levels=np.linspace(0, 1, 11), alpha=0.7, cmap="coolwarm")
    ax.contour(grid1, grid2, Z, levels=[0.5], colors="k", linewidths=1.5)
    ax.figure.colorbar(filled, ax=ax, label=label)
    scatter_classes(X, y, ax=ax, title=title)
    return ax


def draw_network(layer_sizes: Sequence[int], ax=None, title: str = "A neural network",
                 bias: bool = False, backward: bool = False,
                 layer_names: Sequence[str] | None = None, head: Sequence[str] = ()):
    """A fully connected network as circles and lines, input on the left.

    layer_sizes: units per layer, e.g. [2, 4, 1]. bias: draw the "+1" node that feeds every
    layer after the input. backward: draw the weights as arrows pointing back to the input, the
    way gradients flow in backpropagation. head: operations after the last layer, drawn as boxes
    in that order, e.g. ("softmax", "loss $L$"); with backward=True the arrows start at the last
    box, where backpropagation starts.
    """
    gap = 1.6  # horizontal distance between layers
    ax = _axes(ax, figsize=(1.6 * (len(layer_sizes) + len(head)) + 1.5, 3.8))
    names = list(layer_names or ["input"] + ["hidden"] * (len(layer_sizes) - 2) + ["output"])
    top = (max(layer_sizes) - 1) / 2
    bottom = -top - (1.0 if bias else 0.0)
    units = [[(i * gap, y) for y in np.linspace(top, -top, size) * (size > 1) + 0]
             for i, size in enumerate(layer_sizes)]
    units = [[(x, y * (size - 1) / max(max(layer_sizes) - 1, 1)) for x, y in layer]
             for layer, size in zip(units, layer_sizes)]
    edge = dict(color="tab:red" if backward else "0.55", lw=0.8)
    for i in range(len(layer_sizes) - 1):
        sources = units[i] + ([(i * gap, bottom)] if bias else [])
        for (x0, y0) in sources:
            for (x1, y1) in units[i + 1]:
                if backward:
                    ax.annotate("", xy=(x0 + 0.17, y0), xytext=(x1 - 0.17, y1),
                                arrowprops=dict(arrowstyle="->", shrinkA=0, shrinkB=0, **edge))
                else:
                    ax.plot([x0, x1], [y0, y1], zorder=1, **edge)
        if bias:
            ax.add_patch(plt.Circle((i * gap, bottom), 0.17, facecolor="0.9", edgecolor="k", zorder=2))
            ax.text(i * gap, bottom, "+1", ha="center", va="center", fontsize=8, zorder=3)
    for i, layer in enumerate(units):
        colour = "tab:blue" if i == 0 else "tab:orange" if i == len(units) - 1 else "tab:green"
        for (x, y) in layer:
            ax.add_patch(plt.Circle((x, y), 0.17, facecolor=colour, edgecolor="k", zorder=2))
        ax.text(i * gap, bottom - 0.45, f"{names[i]} ({len(layer)})", ha="center", va="top", fontsize=9)
    last_x = (len(layer_sizes) - 1) * gap
    boxes = [(last_x + (k + 1) * gap + 0.3, 0.0) for k in range(len(head))]
    for k, ((x, y), name) in enumerate(zip(boxes, head)):
        ax.text(x, y, name, ha="center", va="center", fontsize=9, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", facecolor="thistle" if k == len(head) - 1
                          else "lavender", alpha=0.9, edgecolor="k"))
        sources = units[-1] if k == 0 else [boxes[k - 1]]
        for (x0, y0) in sources:
            start, end = ((x - 0.62, y), (x0 + (0.17 if k == 0 else 0.62), y0)) if backward \
                else ((x0 + (0.17 if k == 0 else 0.62), y0), (x - 0.62, y))
            ax.annotate("", xy=end, xytext=start,
                        arrowprops=dict(arrowstyle="->", shrinkA=0, shrinkB=0, **edge))
    ax.set_xlim(-0.6, last_x + len(head) * (gap + 0.3) + 0.6)
    ax.set_ylim(bottom - 1.0, top + 0.5)
    ax.set_aspect("equal")
    ax.set(title=title, xlabel="gradients flow right to left" if backward else "input to output",
           ylabel="units")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def xor_picture(ax=None, title: str = "XOR: y = x1 XOR x2"):
    """The four corners of the unit square coloured by their XOR label, each annotated with it:
    no straight line puts the two red corners on one side and the two blue ones on the other."""
    ax = _axes(ax, figsize=(4, 4))
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    labels = corners[:, 0] != corners[:, 1]
    scatter_classes(corners, labels.astype(int), ax=ax, title=title)
    ax.collections[-1].set_sizes([400])
    for (x1, x2), label in zip(corners, labels):
        ax.annotate(f"({x1}, {x2}) -> {int(label)}", (x1, x2), xytext=(0, -26),
                    textcoords="offset points", ha="center")
    ax.set(xlim=(-0.4, 1.4), ylim=(-0.4, 1.4), xticks=[0, 1], yticks=[0, 1], aspect="equal")
    ax.legend(*ax.collections[-1].legend_elements(), title="y", loc="center")
    return ax


def missing_labels(fig) -> list[str]:
    """What a figure lacks of the course's rule "every plot has a title and labelled axes", one
    line per Axes (empty when it follows the rule).

    Axes switched off (network diagrams, images) need only a title; empty ones switched off are
    ignored; a colourbar needs a label. A figure title (suptitle) or figure-wide axis label
    (supxlabel, supylabel) counts for every Axes, and so does a title or label on an Axes sharing
    that axis (twin axes, subplots with sharex/sharey).
    """
    problems = []
    for index, ax in enumerate(fig.axes):
        name = f"axes {index + 1}" + (f" ({ax.get_title()!r})" if ax.get_title() else "")
        if ax.get_label() == "<colorbar>":
            if not (ax.get_ylabel() or ax.get_xlabel()):
                problems.append(f"{name}: colourbar without a label")
            continue
        drawn = any([ax.lines, ax.collections, ax.images, ax.patches, ax.texts, ax.artists, ax.tables])
        if not ax.axison and not drawn:
            continue
        group = {*ax.get_shared_x_axes().get_siblings(ax), *ax.get_shared_y_axes().get_siblings(ax)}
        missing = []
        if not (fig.get_suptitle() or any(a.get_title(loc) for a in group for loc in ("left", "center", "right"))):
            missing.append("title")
        if ax.axison:
            if not (fig.get_supxlabel() or any(a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax))):
                missing.append("x-axis label")
            if not (fig.get_supylabel() or any(a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax))):
                missing.append("y-axis label")
        if missing:
            problems.append(f"{name}: no {', no '.join(missing)}")
    return problems


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
               labels: Sequence | None = None, ax=None, title: str = "Images", label_size: float = 11):
    """The first `n_rows * n_cols` rows of `images` (one flattened image per row) tiled into one
    grey picture, each tile with its label above it when `labels` is given. The grid shrinks to
    the images there are: no blank rows, and one row no wider than the images when there are
    fewer than `n_cols`."""
    images = np.asarray(images)
    count = min(len(images), n_rows * n_cols)
    n_cols = max(1, min(n_cols, count))
    n_rows = max(1, -(-count // n_cols))
    height, width = image_shape
    pad = max(1, height // 8)
    band = (-(-height * 35 // 100) + pad) if labels is not None else 0  # room above each tile for its label
    tile_height, tile_width = band + height + pad, width + pad
    inches = (0.9 if labels is not None else 0.75) / tile_width  # per pixel of the mosaic
    mosaic = np.full((n_rows * tile_height + pad, n_cols * tile_width + pad), np.nan)
    ax = _axes(ax, figsize=(max(mosaic.shape[1] * inches, 2.5), mosaic.shape[0] * inches + 0.5))
    for index, image in enumerate(images[:count]):
        row, col = divmod(index, n_cols)
        top, left = pad + band + row * tile_height, pad + col * tile_width
        mosaic[top: top + height, left: left + width] = np.reshape(image, image_shape)
        if labels is not None:
            ax.text(left + (width - 1) / 2, top - 0.5 - pad / 2, str(labels[index]), color="C3",
                    fontsize=label_size, ha="center", va="bottom")
    ax.imshow(mosaic, cmap="gray_r", interpolation="nearest")
    ax.set_title(title)
    ax.set_axis_off()
    return ax

"""The pictures 04_layers draws with course.plots: titled, labelled, and showing what they claim."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course.plots import draw_network, function_and_derivative, image_grid  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_function_and_derivative_plots_both_against_x():
    def square(x, derivative=False):
        return 2 * x if derivative else x ** 2

    x = np.linspace(-1, 1, 11)
    ax = function_and_derivative(square, x, "square")
    function, derivative = ax.lines[:2]
    np.testing.assert_allclose(function.get_xdata(), x)
    np.testing.assert_allclose(function.get_ydata(), x ** 2)
    np.testing.assert_allclose(derivative.get_ydata(), 2 * x)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["square", "square derivative"]


def test_image_grid_tiles_images_in_rows_with_their_labels_above_them():
    images = np.arange(6 * 4, dtype=float).reshape(6, 4)  # six 2x2 images
    ax = image_grid(images, (2, 2), n_rows=2, n_cols=3, labels=list("abcdef"), title="grid")
    assert ax.get_title() == "grid"
    mosaic = ax.images[0].get_array()
    pad, band = 1, 2  # band: the room above each tile for its label
    top, left = pad + band, pad
    # the second image of the first row sits one tile to the right of the first; the fourth
    # starts the second row, one tile (label band, image, pad) further down
    np.testing.assert_allclose(mosaic[top:top + 2, left:left + 2], images[0].reshape(2, 2))
    np.testing.assert_allclose(mosaic[top:top + 2, left + 3:left + 5], images[1].reshape(2, 2))
    np.testing.assert_allclose(mosaic[top + 5:top + 7, left:left + 2], images[3].reshape(2, 2))
    assert [t.get_text() for t in ax.texts] == list("abcdef")
    first = ax.texts[0]
    assert first.get_position() == (left + 0.5, top - 1.0) and first.get_va() == "bottom", "centred above its tile"
    assert first.get_fontsize() >= 10, "readable labels"


def test_image_grid_shrinks_to_the_images_there_are():
    ax = image_grid(np.ones((3, 4)), (2, 2), n_rows=3, n_cols=2)  # 3 images: two rows, not three
    mosaic = np.ma.filled(ax.images[0].get_array(), np.nan)
    assert mosaic.shape == (2 * 3 + 1, 2 * 3 + 1)
    assert np.nansum(mosaic) == 3 * 4, "the last row's second tile stays blank"
    ax = image_grid(np.ones((5, 4)), (2, 2), n_rows=3, n_cols=12)  # fewer than a row: one row of 5
    assert ax.images[0].get_array().shape == (1 * 3 + 1, 5 * 3 + 1)


def _head_arrows(ax):
    """(start, end) of the arrows that touch the boxes after the last layer (x beyond the units)."""
    last_x = max(patch.center[0] for patch in ax.patches)
    arrows = [a for a in ax.texts if type(a).__name__ == "Annotation"]
    return [(a.xyann, a.xy) for a in arrows if max(a.xy[0], a.xyann[0]) > last_x + 0.1]


@pytest.mark.parametrize("backward", [False, True])
def test_draw_network_draws_the_softmax_and_the_loss_after_the_last_layer(backward):
    ax = draw_network([3, 4, 2], title="net", backward=backward, head=["softmax", "loss $L$"])
    assert ax.get_title() == "net" and ax.get_xlabel() and ax.get_ylabel()
    boxes = {t.get_text(): t.get_position() for t in ax.texts if t.get_text() in ("softmax", "loss $L$")}
    last_x = max(patch.center[0] for patch in ax.patches)
    assert last_x < boxes["softmax"][0] < boxes["loss $L$"][0] < ax.get_xlim()[1]
    arrows = _head_arrows(ax)
    assert len(arrows) == 2 + 1  # one from each of the 2 output units, one from softmax to the loss
    for start, end in arrows:  # forward points right (to the loss), backward left (from the loss)
        assert (end[0] < start[0]) if backward else (end[0] > start[0])


def test_draw_network_without_head_draws_what_it_drew_before():
    ax = draw_network([2, 3, 1], title="plain")
    assert _head_arrows(ax) == [] and not [t for t in ax.texts if "loss" in t.get_text()]
    assert ax.get_xlim()[1] == pytest.approx(2 * 1.6 + 0.6)

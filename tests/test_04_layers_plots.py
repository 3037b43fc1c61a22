"""The pictures 04_layers draws with course.plots: titled, labelled, and showing what they claim."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course.plots import function_and_derivative, image_grid  # noqa: E402


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


def test_image_grid_tiles_images_in_rows_with_their_labels():
    images = np.arange(6 * 4, dtype=float).reshape(6, 4)  # six 2x2 images
    ax = image_grid(images, (2, 2), n_rows=2, n_cols=3, labels=list("abcdef"), title="grid")
    assert ax.get_title() == "grid"
    mosaic = ax.images[0].get_array()
    pad = 1
    # the second image of the first row sits one tile to the right of the first
    np.testing.assert_allclose(mosaic[pad:pad + 2, pad:pad + 2], images[0].reshape(2, 2))
    np.testing.assert_allclose(mosaic[pad:pad + 2, 2 * pad + 2:2 * pad + 4], images[1].reshape(2, 2))
    np.testing.assert_allclose(mosaic[2 * pad + 2:2 * pad + 4, pad:pad + 2], images[3].reshape(2, 2))
    assert [t.get_text() for t in ax.texts] == list("abcdef")


def test_image_grid_leaves_missing_tiles_blank():
    ax = image_grid(np.ones((2, 4)), (2, 2), n_rows=2, n_cols=2)
    mosaic = np.ma.filled(ax.images[0].get_array(), np.nan)
    assert np.isnan(mosaic).sum() > 0 and np.nansum(mosaic) == 2 * 4

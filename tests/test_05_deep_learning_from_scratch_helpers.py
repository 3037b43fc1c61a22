"""The course code that 05_deep_learning_from_scratch imports: the talk's data, its training loop
and accuracies (which take the student's `learn`), array_print, add_to_class and the diagrams."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit  # noqa: E402

from course.datasets import generate_x_y, get_mnist_X_Y, one_hot  # noqa: E402
from course.diagrams import BACKWARD, FORWARD, STEPS, draw_network, draw_neuron  # noqa: E402
from course.grading import call_on_copies  # noqa: E402
from course.notebook import add_to_class, array_print  # noqa: E402
from course.two_layer import (accuracy_binary, accuracy_multiclass, init_weights, mean_loss,  # noqa: E402
                              predict, train_and_display)


def _numerical_learn(V, W, x, y, h=1e-6):
    """A learn step whose gradients come from centred differences: no backprop formula here."""
    def total(V_, W_):
        return np.sum(0.5 * (y - expit(expit(x @ V_) @ W_)) ** 2)

    grads = []
    for M, f in ((V, lambda M_: total(M_, W)), (W, lambda M_: total(V, M_))):
        g = np.zeros_like(M)
        for i in np.ndindex(M.shape):
            step = np.zeros_like(M)
            step[i] = h
            g[i] = (f(M + step) - f(M - step)) / (2 * h)
        grads.append(g)
    return V - grads[0], W - grads[1]


def test_generate_x_y_is_the_talks_table():
    df, X, Y = generate_x_y()
    assert list(df.columns) == ["X1", "X2", "X3", "y"]
    assert X.shape == (8, 3) and Y.shape == (8, 1)
    talk = [(1, 0, 0, 1), (0, 1, 0, 0), (1, 1, 0, 1), (0, 0, 0, 0),
            (1, 0, 1, 0), (0, 0, 1, 0), (1, 1, 1, 1), (0, 1, 1, 1)]
    assert [tuple(int(v) for v in row) for row in df.to_numpy()] == talk
    assert np.array_equal(np.column_stack([X, Y]), np.array(talk))


def test_the_eight_rows_are_not_linearly_separable():
    from sklearn.linear_model import LogisticRegression

    _, X, Y = generate_x_y()
    model = LogisticRegression(C=1e6, max_iter=10_000).fit(X, Y.ravel())
    assert model.score(X, Y.ravel()) < 1.0


def test_one_hot_and_the_digits_fallback(capsys):
    assert np.array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    X, Y = get_mnist_X_Y(None)
    assert "8x8 digits" in capsys.readouterr().out
    assert X.shape == (1797, 64) and Y.shape == (1797, 10)
    assert X.min() >= 0 and X.max() == 1.0 and np.all(Y.sum(axis=1) == 1)
    X2, Y2 = get_mnist_X_Y((np.zeros((3, 784)), np.array([7, 0, 9])))
    assert X2.shape == (3, 784) and np.array_equal(Y2.argmax(axis=1), [7, 0, 9])


def test_array_print_shows_values_and_dimensions(capsys):
    array_print(np.array([[1, 0, 0]]))
    assert capsys.readouterr().out == "The array:\n [[1 0 0]]\nThe dimensions are 1 row and 3 columns\n"
    array_print(np.array([[-0.0754], [0.1]]), 3)
    out = capsys.readouterr().out
    assert "-0.075" in out and "2 rows and 1 column" in out


def test_add_to_class_attaches_a_method():
    class Thing:
        pass

    @add_to_class(Thing)
    def double(self, x):
        return 2 * x

    assert Thing().double(3) == 6


def test_train_and_display_trains_with_the_learn_it_is_given():
    _, X, Y = generate_x_y()
    V, W = train_and_display(_numerical_learn, X, Y, 300, 4, show=False)
    assert accuracy_binary(X, Y, V, W, show=False) == 1.0
    assert mean_loss(X, Y, V, W) < mean_loss(X, Y, *init_weights(3, 4, 1, seed=0))


def test_train_and_display_hands_learn_copies_in_batches():
    _, X, Y = generate_x_y()
    seen = []

    def spy(V, W, x, y):
        seen.append(len(x))
        V[:] = 0  # an in-place update must not leak into the loop's own arrays
        return V, W

    train_and_display(spy, X, Y, 2, 4, batch_size=3, show=False)
    assert seen == [3, 3, 2, 3, 3, 2]


def test_train_and_display_explains_a_bad_return_value():
    _, X, Y = generate_x_y()
    with pytest.raises(ValueError, match=r"must return the pair \(V, W\)"):
        train_and_display(lambda V, W, x, y: V, X, Y, 1, 4, show=False)


def test_train_and_display_prints_the_talks_table_and_plots(capsys):
    _, X, Y = generate_x_y()
    train_and_display(lambda V, W, x, y: (V, W), X, Y, 20, 4)
    out = capsys.readouterr().out
    assert "epoch" in out and "loss" in out and len(out.strip().splitlines()) == 12
    ax = plt.gca()
    assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel()
    plt.close("all")


def test_accuracies_and_predict():
    V, W = init_weights(2, 3, 2, seed=1)
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    P = predict(X, V, W)
    assert P.shape == (2, 2) and np.all((P > 0) & (P < 1))
    assert accuracy_multiclass(X, one_hot(P.argmax(axis=1), 2), V, W) == 1.0
    assert accuracy_multiclass(X, one_hot(1 - P.argmax(axis=1), 2), V, W) == 0.0


def test_call_on_copies_grades_what_an_in_place_function_returns():
    def in_place(V, dV):
        V -= dV
        return V

    V = np.ones((2, 2))
    assert np.array_equal(call_on_copies(in_place, V, np.ones((2, 2))), np.zeros((2, 2)))
    assert np.array_equal(V, np.ones((2, 2)))


@pytest.mark.parametrize("step", [None, *STEPS])
def test_draw_network_draws_every_step(step):
    ax = draw_network(step)
    title = ax.get_title()
    assert title.startswith("Where are we?") if step else title
    plt.close("all")


def test_draw_network_rejects_an_unknown_step():
    with pytest.raises(ValueError, match="unknown step"):
        draw_network("dLdX")


def test_draw_neuron_has_a_title():
    assert draw_neuron().get_title()
    plt.close("all")


def test_get_mnist_X_Y_keeps_a_seeded_sample_of_a_large_set(capsys):
    X = np.arange(12 * 4, dtype=float).reshape(12, 4) / 100
    y = np.arange(12) % 10
    X1, Y1 = get_mnist_X_Y((X, y), max_images=5)
    assert "Keeping a random 5 of the 12" in capsys.readouterr().out
    assert X1.shape == (5, 4) and Y1.shape == (5, 10)
    rows = [int(round(r[0] * 100)) // 4 for r in X1]
    assert rows == sorted(set(rows)) and np.array_equal(Y1.argmax(axis=1), y[rows])  # images keep their labels
    X2, _ = get_mnist_X_Y((X, y), max_images=5)
    assert np.array_equal(X1, X2)  # the same sample every run
    X3, _ = get_mnist_X_Y((X, y), max_images=None)
    assert X3.shape == (12, 4)
    capsys.readouterr()
    X4, _ = get_mnist_X_Y((X, y))  # at most 10,000 by default: this small set is kept whole
    assert X4.shape == (12, 4) and "Keeping" not in capsys.readouterr().out


def _arrows(ax, color):
    from matplotlib.colors import same_color
    from matplotlib.patches import FancyArrowPatch

    return [p for p in ax.patches if isinstance(p, FancyArrowPatch) and same_color(p.get_edgecolor(), color)]


@pytest.mark.parametrize("step", [s for s, (color, _, _) in STEPS.items() if color == BACKWARD])
def test_backward_steps_point_backwards(step):
    ax = draw_network(step)
    arrows = _arrows(ax, BACKWARD)
    assert arrows, f"{step}: no red arrow at all"
    for arrow in arrows:
        (x0, _), (x1, _) = arrow._posA_posB
        assert x1 < x0, f"{step}: an arrow of the backward pass points forwards ({x0:.1f} -> {x1:.1f})"
    plt.close("all")


@pytest.mark.parametrize("step", [s for s, (color, _, _) in STEPS.items() if color == FORWARD])
def test_forward_steps_point_forwards(step):
    ax = draw_network(step)
    for arrow in _arrows(ax, FORWARD):
        (x0, _), (x1, _) = arrow._posA_posB
        assert x1 > x0, f"{step}: an arrow of the forward pass points backwards"
    plt.close("all")


def test_weight_labels_sit_over_their_weights():
    from course import diagrams

    ax = draw_network()
    where = {t.get_text().split(" (")[0].split("\n")[0]: t.get_position()[0] for t in ax.texts}
    assert where["weights V"] < diagrams._HIDDEN_X - diagrams._R
    assert diagrams._HIDDEN_X + diagrams._R <= where["weights W"] < diagrams._OUTPUT_X - diagrams._R
    plt.close("all")


def test_steps_that_equal_a_transpose_highlight_it():
    assert "x" in STEPS["dAdV"][1]  # dA/dV = Xᵀ
    assert "b" in STEPS["dCdW"][1]  # dC/dW = Bᵀ
    assert "W" in STEPS["dCdB"][1]  # dC/dB = Wᵀ


def test_train_and_display_log_axis_and_whole_epochs():
    _, X, Y = generate_x_y()
    train_and_display(lambda V, W, x, y: (V * 0.9, W * 0.9), X, Y, 5, 4, log=True)
    ax = plt.gca()
    assert ax.get_yscale() == "log" and "log" in ax.get_ylabel()
    ticks = [t for t in ax.get_xticks() if 0 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close("all")


def test_backpropagation_steps_3_and_4_draw_different_things():
    """Step 3 (∂C/∂W) ends at the weights W; step 4 (∂C/∂B) goes through them on to the hidden
    neurons' outputs b."""
    from course.diagrams import _HIDDEN_X, _R

    def arrow_ends(step):
        ax = draw_network(step)
        # the network's arrows, not the "backward pass" one underneath
        ends = [end[0] for _, end in (arrow._posA_posB for arrow in _arrows(ax, BACKWARD)) if end[1] > -4]
        plt.close("all")
        return ends

    step3, step4 = arrow_ends("dCdW"), arrow_ends("dCdB")
    assert len(step3) == len(step4) == 4
    assert all(x > _HIDDEN_X + _R + 0.5 for x in step3), f"step 3 stops at the weights: {step3}"
    assert all(abs(x - (_HIDDEN_X + _R)) < 1e-9 for x in step4), f"step 4 reaches the hidden neurons: {step4}"

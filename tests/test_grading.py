"""course.grading: the messages students read when a check fails.

Each message says what was checked, what was expected and what came back, in numbers a student
reads (6.93147, not np.float64(6.931471805599453)); a function that changes its inputs is told
so before any of its values is judged.
"""
from __future__ import annotations

import numpy as np
import pytest

from course.grading import call, call_on_copies, expect_close, expect_equal, expect_gradient, expect_shape, fmt


def failure(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("value, text", [
    (np.float64(6.931471805599453), "6.93147"),
    (np.float32(0.25), "0.25"),
    (np.int64(3), "3"),
    (np.bool_(True), "True"),
    ([np.float64(10.0)] * 3, "[10, 10, 10]"),
    ((np.float64(1.5), 2), "(1.5, 2)"),
    (np.array(2.5), "2.5"),
    (np.array([[0.5], [0.25]]), "array of shape (2, 1): [[0.5 ], [0.25]]"),
    ({"loss": np.float64(0.1)}, "{'loss': 0.1}"),
    (None, "None"),
])
def test_fmt_writes_numbers_as_students_read_them(value, text):
    assert fmt(value) == text


def test_fmt_cuts_long_values_and_survives_a_broken_repr():
    assert len(fmt(np.arange(10_000.0))) <= 300

    class Broken:
        def __repr__(self):
            raise RuntimeError("no")

    assert fmt(Broken()) == "<Broken>"


@pytest.mark.parametrize("check, args", [
    (expect_close, (np.float64(6.931471805599453), 1.0, "loss")),
    (expect_close, ([np.float64(1.0), np.float64(2.0)], [1.0, 3.0], "losses")),
    (expect_close, (np.array([np.nan, 1.0]), [0.0, 1.0], "values")),
    (expect_equal, (np.float64(0.5), 1.0, "value")),
    (expect_shape, ([np.float64(1.0)], (1, 1), "column")),
    (expect_gradient, (np.array([0.0, 0.0]), lambda v: np.sum(v ** 2), np.array([1.0, 2.0]), "slope")),
])
def test_no_message_shows_numpy_scalar_reprs(check, args):
    message = failure(check, *args)
    assert "np.float64" not in message and "np.int64" not in message, message


def test_expect_close_says_what_a_mismatch_suggests():
    assert "opposite sign" in failure(expect_close, np.array([-1.0, 2.0]), [1.0, -2.0], "x")
    assert "2 times the expected one" in failure(expect_close, np.array([2.0, 4.0, 0.0]), [1.0, 2.0, 0.0], "x")
    assert "transposed" in failure(expect_close, np.zeros((2, 3)), np.zeros((3, 2)), "x")
    assert "sum or mean" in failure(expect_close, np.float64(3.0), [1.0, 2.0], "x")
    # one number: no "every value is k times" guess, which would always hold
    assert "times the expected" not in failure(expect_close, 0.8, 4.9, "x")


def test_expect_close_accepts_algebraically_equal_forms_near_zero():
    expect_close(np.exp(-20.0) / (1 + np.exp(-20.0)) ** 2, 2.0611536139e-09, "tiny", atol=1e-9)


def backprop_in_place(weights, lr):
    weights[1] -= lr  # the talk's W -= dLdW, on the caller's array
    return weights[0], weights[1] * 0


def test_call_says_first_that_an_array_inside_a_list_was_modified():
    wO = np.ones((3, 1))
    message = failure(call, backprop_in_place, [np.zeros((2, 3)), wO], 0.5, what="backprop(weights, LR)")
    assert message.startswith("backprop(weights, LR) modified its input in place: argument 1 (the array at [1])"), message
    assert "w -= step" in message


def test_call_notices_items_replaced_in_a_list_and_arrays_passed_by_keyword():
    def replace_item(weights):
        weights[0] = weights[0] + 1
        return weights

    assert "argument 1 (its items were replaced" in failure(call, replace_item, [np.zeros(2)])

    def scale(x, out=None):
        out *= 2
        return x

    assert "argument out=" in failure(call, scale, np.ones(2), out=np.ones(2))


def test_call_passes_a_function_that_leaves_its_inputs_alone():
    weights = [np.zeros((2, 3)), np.ones((3, 1))]
    result = call(lambda w, lr: (w[0] - lr, w[1] - lr), weights, 0.5)
    assert np.all(result[1] == 0.5) and np.all(weights[1] == 1)


def test_call_reports_the_students_exception_and_not_implemented():
    def not_done(x):
        raise NotImplementedError()

    assert "not implemented yet" in failure(call, not_done, 1.0)
    assert "raised ZeroDivisionError" in failure(call, lambda x: 1 / 0, 1.0, what="f(1)")


def test_call_on_copies_grades_what_comes_back_even_when_the_inputs_are_updated():
    weights = [np.zeros((2, 3)), np.ones((3, 1))]

    def train(w, steps):
        for _ in range(steps):
            w[0], w[1] = w[0] + 1, w[1] - 1  # writes into the list it was given
        return w

    result = call_on_copies(train, weights, 2)
    assert np.all(result[0] == 2) and np.all(weights[0] == 0) and np.all(weights[1] == 1)


def test_flat_ok_messages_name_the_shape_asked_for_and_the_one_accepted_too():
    with pytest.raises(AssertionError) as failure:  # the sum over the wrong axis, (2,) where (1, 2) is asked for
        expect_close(np.array([-1.0, 3.5]), [[1.5, 1.0]], "grad_b", flat_ok=True)
    message = str(failure.value)
    assert "expected array of shape (1, 2): [[1.5, 1. ]] (shape (2,) is accepted too)" in message, message
    assert "got array of shape (2,): [-1. , 3.5]" in message, message
    with pytest.raises(AssertionError) as failure:
        expect_close(np.ones((2, 2)), [[1.5, 1.0]], "grad_b", flat_ok=True)
    assert "expected shape (1, 2) (shape (2,) is accepted too), got shape (2, 2)" in str(failure.value)
    with pytest.raises(AssertionError) as failure:
        expect_gradient(np.array([1.0, 1.0]), lambda b: np.sum(b * [2.0, 3.0]), np.array([[0.5, 0.5]]), "grad_b",
                        flat_ok=True)
    message = str(failure.value)
    assert "numerical: array of shape (1, 2): [[2., 3.]] (shape (2,) is accepted too)" in message, message
    assert "yours:     array of shape (2,): [1., 1.]" in message, message
    expect_close(np.array([1.5, 1.0]), [[1.5, 1.0]], "grad_b", flat_ok=True)  # accepted


def test_a_failed_check_is_shown_as_its_message_alone_wrapped():
    """IPython shows an exception with _render_traceback_ as what that returns: for a failed check,
    the message, wrapped at course.grading.WRAP characters; its type and text stay plain."""
    import re

    from course.grading import WRAP, expect

    message = "sigmoid_der of a 2x3 array: " + "does not match the numerical gradient " * 6 + "\n  yours:  [1, 2]"
    with pytest.raises(AssertionError) as failure:
        expect(False, message)
    assert type(failure.value) is AssertionError and str(failure.value) == message
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in failure.value._render_traceback_()]
    assert lines[0].startswith("AssertionError: sigmoid_der of a 2x3 array:") and lines[-1] == "  yours:  [1, 2]"
    assert all(len(line) <= WRAP for line in lines) and len(lines) > 3
    assert " ".join(lines).split() == ("AssertionError: " + message).split()


def test_an_object_that_only_claims_a_shape_is_not_an_array():
    class Claims:  # what a student's function could return to earn a shape check's share
        shape = (5, 3)

        def round(self, *args):
            return np.zeros(self.shape)

    with pytest.raises(AssertionError) as failure:
        expect_shape(Claims(), (5, 3), "add_bias(X)")
    assert "expected an array of shape (5, 3), got Claims" in str(failure.value), str(failure.value)
    expect_shape(np.zeros((5, 3)), (5, 3), "add_bias(X)")
    expect_shape(np.float64(1.0), (), "a number")
    expect_shape(np.zeros((5, 3)).view(np.recarray), (5, 3), "a subclass of ndarray is an array")

"""Checks that the course's test cells use to grade one exercise at a time.

Every check raises ``AssertionError`` with a message written for the student: what was being
checked, what was expected and what came back. A test cell is a list of such checks on fixed
inputs, so a bug in one exercise never costs the points of another.

Nothing here knows any exercise's answer: expected values live in the (hidden) test cells,
gradients are checked against centred differences.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable, Iterator

import numpy as np

__all__ = [
    "call",
    "expect",
    "expect_close",
    "expect_equal",
    "expect_gradient",
    "expect_shape",
    "numerical_gradient",
    "quiet",
    "rel_error",
    "replaced",
    "use_trusted",
]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence floating-point and Python warnings.

    nbgrader scores a test cell zero when anything reaches stderr, so a correct
    ``1 / (1 + np.exp(-x))`` that overflows on ``x = -1000`` must not print its RuntimeWarning.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


def _short(value: Any, limit: int = 300) -> str:
    """A compact, one-screen repr of a value for a failure message."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=4, suppress=True, threshold=20, edgeitems=3):
            text = f"array of shape {value.shape}: {np.array2string(value, separator=', ')}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect(condition: Any, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def call(fn: Callable, *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """Call the student's ``fn`` on copies of ``args``, quietly, and check it mutated nothing.

    A ``NotImplementedError`` or any other exception becomes an ``AssertionError`` whose message
    names the call, so the student reads "sigmoid(...) raised ..." rather than a bare traceback.
    """
    name = what or f"{getattr(fn, '__name__', 'your function')}(...)"
    originals = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
    try:
        with quiet():
            result = fn(*args, **kwargs)
    except NotImplementedError:
        raise AssertionError(f"{name} is not implemented yet: it raised NotImplementedError.") from None
    except AssertionError:
        raise
    except Exception as error:  # the student's bug, reported as a failed check
        raise AssertionError(f"{name} raised {type(error).__name__}: {error}") from None
    for position, (arg, original) in enumerate(zip(args, originals)):
        if original is not None and not (
            arg.shape == original.shape and np.array_equal(arg, original, equal_nan=True)
        ):
            raise AssertionError(
                f"{name} changed its argument number {position + 1} in place; "
                "compute a new array instead of modifying the input."
            )
    return result


def expect_shape(actual: Any, shape: tuple, what: str) -> None:
    """Check that ``actual`` is an array of exactly ``shape``."""
    got = getattr(actual, "shape", None)
    expect(
        got == tuple(shape),
        f"{what}: expected an array of shape {tuple(shape)}, got "
        + (f"shape {got}" if got is not None else f"{type(actual).__name__} {_short(actual)}"),
    )


def _as_array(value: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected numbers, got {_short(value)}") from None


def expect_close(
    actual: Any,
    expected: Any,
    what: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    flat_ok: bool = False,
) -> None:
    """Check values and shape. ``flat_ok`` accepts ``(n,)`` where ``(n, 1)`` is expected and back."""
    expected = np.asarray(expected, dtype=float)
    got = _as_array(actual, what)
    if flat_ok and got.size == expected.size and got.squeeze().shape == expected.squeeze().shape:
        got, expected = got.reshape(-1), expected.reshape(-1)
    expect(
        got.shape == expected.shape,
        f"{what}: expected shape {expected.shape}, got shape {got.shape} ({_short(got)})",
    )
    expect(
        not np.isnan(got).any() or np.isnan(expected).any(),
        f"{what}: got NaN in {_short(got)}; expected {_short(expected)}",
    )
    expect(
        np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True),
        f"{what}: expected {_short(expected)}, got {_short(got)}",
    )


def expect_equal(actual: Any, expected: Any, what: str) -> None:
    """Check exact equality (arrays elementwise, with shape)."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        ok = np.shape(actual) == np.shape(expected) and np.array_equal(actual, expected)
    else:
        ok = actual == expected
    expect(ok, f"{what}: expected {_short(expected)}, got {_short(actual)}")


def rel_error(a: Any, b: Any) -> float:
    """The largest elementwise relative error ``|a - b| / max(|a| + |b|, 1e-8)``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8), initial=0.0))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of the scalar function ``f`` at ``x`` (same shape as ``x``).

    ``f`` is evaluated at perturbed copies of ``x``; ``x`` itself is never modified.
    """
    x = np.array(x, dtype=float, copy=True)
    grad = np.zeros_like(x)
    with quiet():
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + h
            f_plus = float(np.sum(f(x.copy())))
            x[index] = original - h
            f_minus = float(np.sum(f(x.copy())))
            x[index] = original
            grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def expect_gradient(
    analytic: Any,
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    what: str,
    *,
    tol: float = 1e-5,
    flat_ok: bool = False,
) -> None:
    """Compare a hand-written gradient with the centred-difference gradient of ``f`` at ``x``."""
    numeric = numerical_gradient(f, x)
    got = _as_array(analytic, what)
    if flat_ok and got.size == numeric.size:
        got = got.reshape(numeric.shape)
    expect(
        got.shape == numeric.shape,
        f"{what}: the gradient must have the shape of the variable, {numeric.shape}; got {got.shape}",
    )
    error = rel_error(got, numeric)
    expect(
        error < tol,
        f"{what}: does not match the numerical gradient (relative error {error:.2e}, "
        f"tolerance {tol:.0e}).\n  numerical: {_short(numeric)}\n  yours:     {_short(got)}",
    )


@contextlib.contextmanager
def replaced(namespace: dict, **names: Any) -> Iterator[None]:
    """Temporarily rebind names in a notebook's namespace (``globals()``).

    A test of a training loop uses it to give the student's loop trusted building blocks, so a
    bug in another exercise cannot cost this exercise's points.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    hook = _swap_hook
    namespace.update(names)
    if hook is not None:
        hook("bind", names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        if hook is not None:
            hook("restore", list(names))


# Set only in the grader's kernel of two-process grading (course.instructor.autograde.twoproc):
# it makes a swap reach the student's kernel too. None everywhere else.
_swap_hook: Callable[[str, Any], None] | None = None


def use_trusted(namespace: dict, **names: Any) -> None:
    """Swap names in the notebook's namespace for trusted versions until the end of this cell.

    Put it at the top of a test cell's hidden part: every check in the cell, the visible ones
    too, then runs the exercise under test with trusted building blocks, so a bug in another
    exercise cannot cost this exercise's points. The student's own definitions come back when
    the cell ends, whether it passed or failed.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("use_trusted works inside a Jupyter kernel (IPython) only")
    context = replaced(namespace, **names)
    context.__enter__()

    def restore(*_: Any) -> None:
        shell.events.unregister("post_run_cell", restore)
        context.__exit__(None, None, None)

    shell.events.register("post_run_cell", restore)


def call_on_copies(fn: Callable, *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """Like `call`, but hands `fn` fresh copies of its array arguments, so a function that may
    update its inputs in place (the talk's ``W -= dLdW``) is graded on what it returns."""
    def on_copies(*inner: Any, **inner_kwargs: Any) -> Any:
        return fn(*[np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in inner],
                  **inner_kwargs)

    return call(on_copies, *args, what=what or f"{getattr(fn, '__name__', 'your function')}(...)", **kwargs)


__all__ += ["call_on_copies"]

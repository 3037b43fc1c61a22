"""Checks that the course's test cells use to grade one exercise at a time.

Every check raises ``AssertionError`` with a message written for the student: what was being
checked, what was expected and what came back. A test cell is a list of such checks on fixed
inputs, so a bug in one exercise never costs the points of another. Where Jupyter shows the
failure (the cell's output, nbgrader's Validate dialog), its traceback is that message alone,
wrapped (``failure``).

Nothing here knows any exercise's answer: expected values live in the (hidden) test cells,
gradients are checked against centred differences.
"""
from __future__ import annotations

import contextlib
import functools
import textwrap
import warnings
from fractions import Fraction
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np

__all__ = [
    "call",
    "expect",
    "expect_close",
    "expect_equal",
    "expect_gradient",
    "expect_shape",
    "fmt",
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


# What a failure message may quote of one of the student's values (its repr, str, name or error):
# enough to see what came back; a 50 MB repr would make the message, the feedback and the
# gradebook 50 MB each.
STUDENT_TEXT = 4096
NAME_CHARS = 200


def _cut(text: str, limit: int = STUDENT_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + f"[… {len(text) - limit:,} characters cut]"


def _text(value: Any, how: Callable[[Any], str] = repr) -> str:
    """``repr(value)`` (or ``how(value)``) cut to STUDENT_TEXT characters, whatever the value does."""
    try:
        text = how(value)
        if not isinstance(text, str):
            raise TypeError
    except Exception:  # a student's object whose __repr__ is broken
        return f"<{_cut(type(value).__name__, NAME_CHARS)}>"
    return _cut(text)


def _number(value: Any) -> str:
    """A number as a student reads it: ``6.93147``, ``-2``, ``1e-08``, ``True``, never ``np.float64(...)``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (complex, np.complexfloating)):
        return str(complex(value))
    return f"{float(value):.6g}"


def fmt(value: Any, limit: int = 300) -> str:
    """Readable, one-line text of a value for a failure message.

    Numbers to six significant digits (``6.93147``), arrays as their shape and array text
    (``array of shape (2, 1): [[0.5], [0.25]]``), lists and tuples item by item, so numpy 2's
    ``np.float64(6.931471805599453)`` never reaches a student. Long texts are cut at ``limit``.
    """
    text = " ".join(_fmt(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fmt(value: Any, depth: int = 0) -> str:
    if isinstance(value, (bool, int, float, complex, np.number, np.bool_)):
        return _number(value)
    if isinstance(value, np.ndarray):
        if value.ndim == 0 and value.dtype.kind in "biufc":
            return _number(value.item())
        if value.dtype.kind in "biufc":
            with np.printoptions(precision=6, threshold=20, edgeitems=3):
                body = np.array2string(value, separator=", ")
        else:
            body = np.array2string(value, separator=", ", threshold=20, edgeitems=3,
                                   formatter={"all": lambda item: _fmt(item, depth + 1)})
        return f"array of shape {value.shape}: {body}"
    if isinstance(value, (list, tuple)) and depth < 3:
        items = [_fmt(item, depth + 1) for item in value[:20]] + (["..."] if len(value) > 20 else [])
        if isinstance(value, tuple):
            return "(" + ", ".join(items) + ("," if len(value) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict) and depth < 3:
        return "{" + ", ".join(f"{_text(key)}: {_fmt(item, depth + 1)}" for key, item in list(value.items())[:20]) + "}"
    return _text(value)



# Characters per line of a failed check's message where Jupyter shows it: nbgrader's Validate
# dialog shows a traceback's lines as they are, without wrapping, in about 110 characters.
WRAP = 100


def _rendered(message: str) -> list[str]:
    """The traceback IPython shows for a failed check: "AssertionError: " and the message, each
    line wrapped at WRAP characters (a wrapped line goes on two spaces further in), never cut."""
    lines: list[str] = []
    for number, line in enumerate(message.splitlines() or [""]):
        indent = line[:len(line) - len(line.lstrip())]
        lines += textwrap.wrap(("AssertionError: " if number == 0 else "") + line, width=WRAP,
                               subsequent_indent=indent + "  ", break_long_words=True,
                               break_on_hyphens=False) or [""]
    lines[0] = lines[0].replace("AssertionError", "\x1b[0;31mAssertionError\x1b[0m", 1)
    return lines


def failure(message: str, summary: str | None = None) -> AssertionError:
    """The AssertionError of a failed check. IPython shows it as its message alone, wrapped
    (``_render_traceback_``): the message says what was checked, what was expected and what came
    back, while the test code around it and this module's frames would push it out of sight (and
    the Validate dialog would cut its long lines at the dialog's edge). Its type and its text,
    ``str(error)``, stay those of a plain AssertionError.

    ``summary``: what went wrong without any input, expected value or returned value ("wrong
    shape", "the values differ"); a hidden check's feedback says that much and no more."""
    error = AssertionError(message)
    error._render_traceback_ = functools.partial(_rendered, message)
    error.course_summary = summary
    return error


def expect(condition: Any, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds."""
    if not condition:
        raise failure(message)


def _arrays_in(value: Any, path: str, depth: int = 0) -> list:
    """Every numpy array in ``value`` (itself, or items of lists, tuples and dicts), with where it sits."""
    if isinstance(value, np.ndarray):
        return [(path, value)]
    found = []
    if depth < 2 and isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += _arrays_in(item, f"{path}[{index}]", depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for key, item in value.items():
            found += _arrays_in(item, f"{path}[{key!r}]", depth + 1)
    return found


def _snapshot(value: Any, path: str) -> list:
    """What ``call`` compares after the call: each array's copy, and each list's items and length."""
    taken = [(where, array, np.array(array, copy=True)) for where, array in _arrays_in(value, path)]
    containers = []
    if isinstance(value, (list, dict)):
        containers.append((path, value, list(value.items()) if isinstance(value, dict) else list(value)))
    return [taken, containers]


def _place(where: str) -> str:
    """'argument 1[1]' -> 'argument 1 (the array at [1])'."""
    if "[" not in where:
        return where
    base, rest = where.split("[", 1)
    return f"{base} (the array at [{rest})"


def _changed_inputs(snapshots: list, touched: set) -> list[str]:
    """What changed since the snapshots; `touched`: ids of the objects the student's code changed
    in the other process (two-process grading never writes those changes into the test's objects)."""
    changed = []
    for taken, containers in snapshots:
        for where, value, items in containers:
            now = list(value.items()) if isinstance(value, dict) else list(value)
            if id(value) in touched or len(now) != len(items) or any(
                (a[0] != b[0] or a[1] is not b[1]) if isinstance(value, dict) else a is not b
                for a, b in zip(now, items)
            ):
                changed.append(f"{_place(where)} (its items were replaced, added or removed)")
        for where, array, original in taken:
            if id(array) in touched or not (
                    array.shape == original.shape and np.array_equal(array, original, equal_nan=True)):
                changed.append(_place(where))
    return changed


def call(fn: Callable, *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """Call the student's ``fn`` quietly, and check it changed none of its inputs.

    A ``NotImplementedError`` or any other exception becomes an ``AssertionError`` whose message
    names the call, so the student reads "sigmoid(...) raised ..." rather than a bare traceback.
    Arrays passed in, also inside a list or tuple (``[wH, wO]``), must come back unchanged: a
    function that updates them in place (``w -= ...``) fails with a message that says so, before
    any value is checked.
    """
    name = what or f"{_cut(str(getattr(fn, '__name__', 'your function')), NAME_CHARS)}(...)"
    snapshots = [_snapshot(arg, f"argument {position + 1}") for position, arg in enumerate(args)]
    snapshots += [_snapshot(arg, f"argument {key}=") for key, arg in kwargs.items()]
    changes = _changes_hook() if _changes_hook is not None else []
    seen = len(changes)
    try:
        with quiet():
            result = fn(*args, **kwargs)
    except NotImplementedError:
        raise failure(f"{name} is not implemented yet: it raised NotImplementedError.",
                      "not implemented yet (NotImplementedError)") from None
    except AssertionError:
        raise
    except Exception as error:  # the student's bug, reported as a failed check
        kind = _cut(type(error).__name__, NAME_CHARS)
        raise failure(f"{name} raised {kind}: {_text(error, str)}", f"your code raised {kind}") from None
    changed = _changed_inputs(snapshots, {id(original) for original, _ in changes[seen:]})
    if changed:
        raise failure(
            f"{name} modified its input in place: {', '.join(changed)} changed during the call. "
            "Leave the inputs as they were and return new arrays: for example `w_new = w - step` "
            "instead of `w -= step`, or work on a copy (`X = X.copy()`) before changing it.",
            "your function modified its input in place (return new arrays instead)",
        )
    return result


def expect_shape(actual: Any, shape: tuple, what: str) -> None:
    """Check that ``actual`` is a numpy array (or scalar) of exactly ``shape``: an object that only
    claims a `.shape` earns nothing (it would earn the check's share with no array at all)."""
    got = actual.shape if isinstance(actual, (np.ndarray, np.generic)) else None
    if got != tuple(shape):
        raise failure(f"{what}: expected an array of shape {tuple(shape)}, got "
                      + (f"shape {_text(got, str)}" if got is not None
                         else f"{_cut(type(actual).__name__, NAME_CHARS)} {fmt(actual)}"),
                      "wrong shape" if got is not None else "not an array")


def _as_array(value: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise failure(f"{what}: expected numbers, got {fmt(value)}", "not numbers") from None


def _hint(got: np.ndarray, expected: np.ndarray) -> str:
    """What a mismatch between two same-shaped arrays suggests, or ''."""
    if got.size == 0 or not np.all(np.isfinite(got)) or not np.all(np.isfinite(expected)):
        return ""
    if np.any(expected != 0) and np.allclose(got, -expected, rtol=1e-6, atol=1e-12):
        return " (the opposite sign: a sign error?)" if got.size == 1 else " (every value has the opposite sign: a sign error?)"
    nonzero = np.abs(expected) > 1e-12
    if np.count_nonzero(nonzero) >= 2 and np.allclose(got[~nonzero], 0, atol=1e-12):
        ratios = got[nonzero] / expected[nonzero]
        if np.allclose(ratios, ratios.flat[0], rtol=1e-6) and not np.isclose(ratios.flat[0], 1):
            return f" (every value is {_number(ratios.flat[0])} times the expected one: a constant factor?)"
    if got.ndim == 2 and expected.ndim == 2 and np.allclose(got, expected[::-1], rtol=1e-6, atol=1e-12):
        return " (the rows come in reverse order)"
    return ""


def _shape_hint(got: np.ndarray, expected: np.ndarray) -> str:
    if got.ndim >= 2 and got.shape == expected.shape[::-1]:
        return " (transposed?)"
    if got.size == 1 and expected.size > 1:
        return " (one number where one value per entry was expected: a sum or mean too many?)"
    return ""


def expect_close(
    actual: Any,
    expected: Any,
    what: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    flat_ok: bool = False,
) -> None:
    """Check values and shape. ``flat_ok`` accepts ``(n,)`` where ``(n, 1)`` or ``(1, n)`` is expected
    and back; the messages still name the shape of ``expected`` (the one the exercise asks for)
    and say that the other is accepted."""
    expected = np.asarray(expected, dtype=float)
    got = _as_array(actual, what)
    shown_expected, shown_got = expected, got  # as the exercise asks for them, and as they came back
    accepted = _accepted_too(expected) if flat_ok else ""
    if flat_ok and got.size == expected.size and got.squeeze().shape == expected.squeeze().shape:
        got, expected = got.reshape(-1), expected.reshape(-1)
    if got.shape != expected.shape:
        hint = _shape_hint(got, expected)
        raise failure(f"{what}: expected shape {expected.shape}{accepted}, got shape {got.shape}{hint} ({fmt(got)})",
                      "wrong shape" + hint)
    if np.isnan(got).any() and not np.isnan(expected).any():
        raise failure(f"{what}: got NaN in {fmt(shown_got)}; expected {fmt(shown_expected)}{accepted}", "got NaN")
    if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True):
        hint = _hint(got, expected)
        raise failure(f"{what}: expected {fmt(shown_expected)}{accepted}, got {fmt(shown_got)}{hint}",
                      "the values differ from the expected ones" + hint)


def _accepted_too(expected: np.ndarray) -> str:
    """For flat_ok: the other shape(s) accepted besides ``expected``'s, in words."""
    if expected.ndim == 2 and 1 in expected.shape:
        return f" (shape {(expected.size,)} is accepted too)"
    if expected.ndim == 1:
        return f" (shape {(expected.size, 1)} or {(1, expected.size)} is accepted too)"
    return ""


def expect_equal(actual: Any, expected: Any, what: str) -> None:
    """Check exact equality (arrays elementwise, with shape)."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        ok = np.shape(actual) == np.shape(expected) and np.array_equal(actual, expected)
    else:
        ok = actual == expected
    if not ok:
        raise failure(f"{what}: expected {fmt(expected)}, got {fmt(actual)}", "not the expected value")


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
    got = shown = _as_array(analytic, what)
    accepted = _accepted_too(numeric) if flat_ok else ""
    if flat_ok and got.size == numeric.size:
        got = got.reshape(numeric.shape)
    if got.shape != numeric.shape:
        raise failure(f"{what}: the gradient must have the shape of the variable, {numeric.shape}{accepted}; "
                      f"got {got.shape}", "the gradient has the wrong shape")
    error = rel_error(got, numeric)
    if not error < tol:
        raise failure(f"{what}: does not match the numerical gradient (relative error {error:.2e}, "
                      f"tolerance {tol:.0e}).\n  numerical: {fmt(numeric)}{accepted}\n  yours:     {fmt(shown)}",
                      f"does not match the numerical gradient (relative error {error:.2e}, tolerance {tol:.0e})")


@contextlib.contextmanager
def replaced(namespace: dict, **names: Any) -> Iterator[None]:
    """Temporarily rebind names in a notebook's namespace (``globals()``).

    A test of a training loop uses it to give the student's loop trusted building blocks, so a
    bug in another exercise cannot cost this exercise's points.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    hook = _swap_hook
    try:  # a bind that fails half-way still gives every name its value back
        namespace.update(names)
        if hook is not None:
            hook("bind", names)
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
# Set only in the grader's kernel of two-process grading: the list of (the test's object, its
# changed copy) for the arrays, lists and dicts the student's code changed in place in this cell.
_changes_hook: Callable[[], list] | None = None


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


def _copied(value: Any) -> Any:
    """A copy of ``value``'s arrays, also inside lists and tuples (``[wH, wO]``)."""
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_copied(item) for item in value)
    return value


def call_on_copies(fn: Callable, *args: Any, what: str | None = None, **kwargs: Any) -> Any:
    """Like `call`, but hands `fn` fresh copies of its array arguments (also of the arrays in a
    list or tuple argument), so a function that may update its inputs in place (the talk's
    ``W -= dLdW``, a training loop that writes ``weights[0] = ...``) is graded on what it returns."""
    def on_copies(*inner: Any, **inner_kwargs: Any) -> Any:
        return fn(*[_copied(a) for a in inner], **{k: _copied(v) for k, v in inner_kwargs.items()})

    return call(on_copies, *args, what=what or f"{_cut(str(getattr(fn, '__name__', 'your function')), NAME_CHARS)}(...)",
                **kwargs)


__all__ += ["call_on_copies"]


# --- checklists: one test cell, several named checks, each with its share of the cell's points ----

CHECKLIST_MIME = "application/vnd.course.checklist+json"
CHECKLIST_VERSION = 1


def share(value: Any) -> Fraction:
    """A share of points as an exact fraction: an int, a Fraction or a text like ``"1/3"``. Floats
    are refused (0.1 + 0.2 != 0.3: shares that must add up to a cell's points are kept exact)."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, str)):
        raise TypeError(f"a check's share is an int, a Fraction or a text like '1/3', not {type(value).__name__}")
    result = Fraction(value)
    if result < 0:
        raise ValueError(f"a check's share cannot be negative: {value!r}")
    return result


class CheckResult(NamedTuple):
    """One check of a test cell, as it came out. ``message`` is '' for a passed check; a hidden
    check's message names what went wrong, never an input or an expected value."""

    name: str
    share: Fraction
    hidden: bool
    passed: bool
    message: str
    gate: bool = False  # failed: the cell earns nothing (its other checks read what only this one verifies)

    def as_data(self) -> dict:
        return {"name": self.name, "share": str(self.share), "hidden": self.hidden, "passed": self.passed,
                "message": self.message, "gate": self.gate}


def _hidden_message(error: BaseException) -> str:
    """What a failed hidden check may tell the student: the helpers' value-free summary, or the
    kind of error; never its message, which may quote the hidden inputs or expected values."""
    summary = getattr(error, "course_summary", None)
    if isinstance(summary, str) and summary:
        return summary
    if isinstance(error, AssertionError):
        return "failed"
    return f"the check stopped with {type(error).__name__}"


class Checklist:
    """The checks of one test cell; see `checklist`."""

    def __init__(self, points: Any, hidden: Any = 0):
        self.points = share(points)
        self.hidden_points = share(hidden)
        if self.hidden_points > self.points:
            raise ValueError(f"hidden={hidden} is more than the cell's points={points}")
        self.results: list[CheckResult] = []
        self._finished = False

    @contextlib.contextmanager
    def check(self, name: str, part: Any, *, hidden: bool = False, gate: bool = False) -> Iterator[None]:
        """One named check worth ``part`` of the cell's points. A failure inside is recorded, and
        the cell goes on with the next check; KeyboardInterrupt (a time limit) still stops it.

        ``gate``: when this check fails the cell earns nothing, whatever else passed. For a check
        the grader computes itself that the others take on trust (02's accuracy from the fitted
        weights, where the visible checks read what the student's model says about itself)."""
        part = share(part)
        try:
            yield
        except Exception as error:  # the check failed: record it, go on with the next one
            self.results.append(CheckResult(str(name), part, bool(hidden), False, self._message(error, hidden),
                                            bool(gate)))
        else:
            self.results.append(CheckResult(str(name), part, bool(hidden), True, "", bool(gate)))

    __call__ = check

    def _message(self, error: Exception, hidden: bool) -> str:
        earlier = any(not r.passed for r in self.results)
        if isinstance(error, NameError) and earlier:
            # a value an earlier (failed) check was to compute: say so, not "name 'out' is not defined"
            return "not checked: it uses a result that an earlier failed check could not compute"
        if isinstance(error, NotImplementedError):  # an exercise called outside `call`
            return "not implemented yet: it raised NotImplementedError"
        if hidden:
            return _hidden_message(error)
        if isinstance(error, AssertionError):
            return str(error) or "failed"
        return f"the check stopped with {_cut(type(error).__name__, NAME_CHARS)}: {_text(error, str)}"

    def data(self) -> dict:
        """What the cell reports as CHECKLIST_MIME: every check that ran, and the declared points."""
        return {"version": CHECKLIST_VERSION, "points": str(self.points), "hidden_points": str(self.hidden_points),
                "checks": [r.as_data() for r in self.results]}

    def text(self) -> str:
        """The checklist as a student reads it: every check that ran, passed or failed, with its
        whole message, and what the hidden checks hold when they did not run (Validate)."""
        lines = []
        for r in self.results:
            mark = "PASS" if r.passed else "FAIL"
            tag = " (hidden)" if r.hidden else ""
            tag += " (required for the cell's other points)" if r.gate else ""
            lines.append(f"[{mark}] {r.name}{tag}, {_points_text(r.share)}" + ("" if r.passed else ":"))
            if not r.passed:
                lines += ["    " + line for line in r.message.splitlines() or ["failed"]]
        if self.hidden_points and not any(r.hidden for r in self.results):
            lines.append(f"{_points_text(self.hidden_points)} held by hidden checks, run when the notebook is graded")
        return "\n".join(lines)

    def done(self) -> None:
        """End the cell's checklist: show it (one output: CHECKLIST_MIME data and its text), then
        raise one AssertionError holding it if a check failed, so a cell is still all or nothing
        wherever partial credit is off (Validate, nbgrader's own autograde)."""
        if self._finished:
            return
        self._finished = True
        visible = sum((r.share for r in self.results if not r.hidden), Fraction(0))
        hidden = [r.share for r in self.results if r.hidden]
        problem = None
        if visible + self.hidden_points != self.points:
            problem = f"the visible shares ({visible}) and hidden={self.hidden_points} do not add up to points={self.points}"
        elif hidden and sum(hidden, Fraction(0)) != self.hidden_points:
            problem = f"the hidden shares ({sum(hidden, Fraction(0))}) do not add up to hidden={self.hidden_points}"
        if problem:  # the course's mistake, never the student's: `course build` refuses such a cell
            raise RuntimeError(f"this test cell's checklist is wrong: {problem}")
        _display_checklist(self.data(), self.text())
        failed = [r for r in self.results if not r.passed]
        if failed:
            raise failure(f"{len(failed)} of {len(self.results)} checks failed:\n{self.text()}")


def _points_text(value: Fraction) -> str:
    return f"{value} point" + ("" if value == 1 else "s")


def _display_checklist(data: dict, text: str) -> None:
    try:
        from IPython.display import display
    except ImportError:  # plain Python (a script that imports the helpers): the text alone
        print(text)
        return
    display({CHECKLIST_MIME: data, "text/plain": text}, raw=True)


def checklist(points: Any, hidden: Any = 0) -> Checklist:
    """The checklist of one test cell worth ``points``, of which ``hidden`` are held by the checks
    in its hidden part (declared here, where Validate sees it, since the release has no hidden part)::

        checks = checklist(points=2, hidden=1)
        with checks("one column added", "1/2"):
            expect_shape(call(add_bias, np.zeros((5, 2))), (5, 3), "add_bias(np.zeros((5, 2)))")
        with checks("the features, then ones", "1/2"):
            ...
        ### BEGIN HIDDEN TESTS
        with checks("a wider input", 1, hidden=True):
            ...
        ### END HIDDEN TESTS
        checks.done()

    Shares are exact (ints, Fractions or texts like "1/3") and add up to ``points``; `course build`
    refuses a cell where they do not, and a hidden check not marked ``hidden=True``.
    """
    return Checklist(points, hidden)


__all__ += ["CHECKLIST_MIME", "CheckResult", "Checklist", "checklist", "share"]

"""Library objects by name: which modules, functions and classes may cross the channel by name.

Either side sends a module, or a public function or class of a library (numpy, scipy, sklearn,
the standard modules in LIBRARIES), by its name (`global_name`), and the receiver looks the name
up itself (`resolve_global`), so `np.mean` is numpy's own on both sides. The two sides are not
alike. The student's side imports what the grader names. The grader's side (`imported_only`)
never imports because of a name: it reads names only in the modules loaded at its start
(`freeze_resolvable`), without running code (`_walk`), and takes the object as its own only when
it is a pure function or a safe class under its own name (`safe_library_object`); anything else
the student's side names stays a handle, used in the student's kernel.
"""
from __future__ import annotations

import re
import sys
import types
from typing import Any

import numpy as np

from .frames import ChannelError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# Libraries either side may import by name: what notebooks and tests use, nothing else.
LIBRARIES = frozenset({"numpy", "scipy", "sklearn", "matplotlib", "math", "cmath", "random", "enum",
                       "functools", "itertools", "collections", "operator", "statistics", "builtins"})

# What the grader's kernel may take as its own when the student's side names it: modules loaded
# when it started (freeze_resolvable), the same for every notebook whatever the tests imported
# since; library classes and functions whose name leads back to themselves; no builtin that runs
# code, opens files or reaches into objects.
GRADER_MODULES = ("numpy", "numpy.random", "numpy.linalg", "scipy.special", "sklearn.base", "sklearn.datasets",
                  "sklearn.exceptions", "sklearn.linear_model", "sklearn.neural_network", "sklearn.utils.validation",
                  "math", "cmath", "random", "enum", "functools", "itertools", "collections", "operator",
                  "statistics")
_RESOLVABLE: frozenset | None = None


def freeze_resolvable() -> None:
    """Import GRADER_MODULES and fix the modules the grader resolves names in (at its start)."""
    import importlib
    import sys

    global _RESOLVABLE
    for name in GRADER_MODULES:
        importlib.import_module(name)
    _RESOLVABLE = frozenset(name for name in sys.modules if library_module(name))


def library_module(name: Any) -> bool:
    return isinstance(name, str) and bool(_NAME.fullmatch(name)) and name.split(".")[0] in LIBRARIES


def import_library(name: str, imported_only: bool = False):
    """A library module by name. `imported_only` (the grader, reading what the student's side
    sent): only a module loaded when the grader started (freeze_resolvable); a name never makes
    it import one."""
    import importlib

    if not library_module(name):
        raise ChannelError(f"not a library module: {name!r}")
    if imported_only:
        if _RESOLVABLE is None:
            freeze_resolvable()
        module = sys.modules.get(name) if name in _RESOLVABLE else None
        if module is None:
            raise ChannelError(f"{name!r} is not a module the grader resolves names in")
        return module
    return importlib.import_module(name)


def _public_name(qualname: Any) -> bool:
    return isinstance(qualname, str) and bool(_NAME.fullmatch(qualname)) and not any(
        part.startswith("_") for part in qualname.split("."))


def _walk(value: Any, qualname: str) -> Any:
    """`value.a.b` read from the objects' own dictionaries: never a module's `__getattr__`, which
    imports (scipy's lazy submodules), never a property or descriptor that runs code."""
    for part in qualname.split("."):
        try:
            namespace = object.__getattribute__(value, "__dict__")
        except AttributeError:
            raise ChannelError(f"{qualname!r} cannot be looked up without running code") from None
        if part not in namespace:
            raise ChannelError(f"{qualname!r} is not loaded here")
        value = namespace[part]
    return value


def resolve_global(module: str, qualname: str, imported_only: bool = False):
    """The object `module.qualname` of a library, or raise ChannelError. `imported_only` (the
    grader): in a module loaded at its start, read without running code (`_walk`)."""
    if not _public_name(qualname):
        raise ChannelError(f"not a public name: {qualname!r}")
    value = import_library(module, imported_only)
    if imported_only:
        return _walk(value, qualname)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _loaded_global(module: str, qualname: str) -> Any:
    """`module.qualname` if that module is loaded, read without running code (never imports)."""
    if not library_module(module) or not _public_name(qualname):
        raise ChannelError(f"not a library name: {module}.{qualname}")
    loaded = sys.modules.get(module)
    if loaded is None:
        raise ChannelError(f"{module!r} is not loaded")
    return _walk(loaded, qualname)


def global_name(obj: Any) -> tuple[str, str] | None:
    """(module, qualname) when `obj` is a public function, class or ufunc of a library (found in
    the modules already loaded: an object's own module always is, so this never imports)."""
    if isinstance(obj, np.ufunc):
        for module in ("numpy", "scipy.special"):
            try:
                if _loaded_global(module, obj.__name__) is obj:
                    return module, obj.__name__
            except Exception:
                continue
        return None
    if not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) and type(obj).__name__ not in (
            "_ArrayFunctionDispatcher", "cython_function_or_method", "fused_cython_function"):
        return None
    try:
        module, qualname = obj.__module__, obj.__qualname__
    except Exception:
        return None
    if not library_module(module) or not isinstance(qualname, str):
        return None
    public = module.split(".")
    # numpy.core.numeric.allclose is numpy.allclose: try the public parents first
    for candidate in [".".join(public[:i]) for i in range(1, len(public))] + [module]:
        try:
            if _loaded_global(candidate, qualname) is obj:
                return candidate, qualname
        except Exception:
            continue
    return None


# What the grader takes as its own when the student's side names a library object (anything else
# stays a handle: using it runs in the student's kernel). Pure functions only: never one that
# writes or reads files, changes a library's settings or global random state, or runs code.
PURE_FUNCTIONS = {
    "numpy": frozenset("""abs absolute all allclose amax amin any append arange argmax argmin argsort around array
        array_equal array_equiv asarray asanyarray ascontiguousarray atleast_1d atleast_2d atleast_3d average clip
        column_stack concatenate copy corrcoef count_nonzero cov cumprod cumsum diag diagonal diff dot einsum
        expand_dims eye flatnonzero flip full full_like hstack identity inner isclose isfinite
        isinf isnan kron linspace mean median meshgrid moveaxis nan_to_num nanmax nanmean nanmin nansum ndim
        nonzero ones ones_like outer pad percentile prod ptp quantile ravel repeat reshape round searchsorted
        shape sort split squeeze stack std sum swapaxes take tensordot tile trace transpose tril triu unique
        var vstack where zeros zeros_like""".split()),
    "numpy.linalg": frozenset("cond det eig eigh eigvals inv lstsq matrix_rank norm pinv qr slogdet solve svd".split()),
    "scipy.special": frozenset("expit logit softmax log_softmax logsumexp xlogy xlog1py".split()),
    "builtins": frozenset("abs all any divmod enumerate filter isinstance issubclass len map max min pow "
                          "reversed round sorted sum zip".split()),
    "math": None,  # every public function of math and cmath is pure
    "cmath": None,
    "operator": frozenset("""abs add and_ concat contains eq floordiv ge gt index inv invert is_ is_not le lshift
        lt matmul mod mul ne neg not_ or_ pos pow rshift sub truediv truth xor""".split()),
}
# Classes: the grader needs the real ones (isinstance against np.ndarray, MLPClassifier, an
# exception type), and may construct them, so only kinds whose construction only stores data:
# numpy's arrays and scalar types, scikit-learn's estimators, exceptions, enums, plain builtins.
SAFE_BUILTIN_CLASSES = frozenset("bool int float complex str bytes list tuple dict set frozenset slice range".split())
UNSAFE_CLASSES = frozenset({("numpy", "memmap")})


def _safe_class(cls: type, name: tuple[str, str]) -> bool:
    import enum

    if name in UNSAFE_CLASSES or issubclass(cls, (types.ModuleType, type)):
        return False
    root = name[0].split(".")[0]
    if root == "builtins":
        return name[1] in SAFE_BUILTIN_CLASSES or issubclass(cls, BaseException)
    if root == "numpy":
        return issubclass(cls, (np.generic, np.ndarray, np.dtype)) or issubclass(cls, Exception)
    if root == "sklearn":
        base = sys.modules.get("sklearn.base")
        return (base is not None and issubclass(cls, base.BaseEstimator)) or issubclass(cls, Exception)
    if root == "enum":
        return issubclass(cls, enum.Enum)
    return root == "scipy" and issubclass(cls, Exception)


def safe_library_object(obj: Any, where: list) -> bool:
    """Whether the grader may use its own `obj` for the library object the student's side named
    `where`: under its own name (not reached through another module, `numpy.f2py.os.system`), and
    a pure function or a safe class (PURE_FUNCTIONS, UNSAFE_CLASSES)."""
    name = global_name(obj)
    if name is None or list(name) != list(where):
        return False
    module, qualname = name
    if isinstance(obj, type):
        return _safe_class(obj, name)
    if isinstance(obj, np.ufunc):
        return True
    allowed = PURE_FUNCTIONS.get(module, frozenset())
    return (allowed is None and module in ("math", "cmath")) or (allowed is not None and qualname in allowed)


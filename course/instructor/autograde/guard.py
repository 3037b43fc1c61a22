"""Inside the grading kernel: record attempts to leave the submission, undo monkeypatches.

Two pieces, both installed before any student code runs:

- an audit hook (PEP 578) that reports, into a pipe the grader reads, opening files outside the
  submission folder and the Python environment, network connections and new processes. The
  sandbox already makes these fail; the log names them in the tamper report.
- a module guard: the grading helpers (`course.grading`), numpy, `math`, `scipy.special` and
  builtins are imported from the environment first (so files in the submission folder cannot
  shadow them), snapshotted, and restored before every cell and after every
  `course.grading.call(...)` of a student's function. `np.allclose = lambda *a, **k: True` in a
  solution cell, or `course.grading.expect_close = ...` inside the student's function, then cannot
  make a hidden test pass. Restored public names are logged as monkeypatches.
"""
from __future__ import annotations

import functools
import importlib
import json
import operator
import os
import sys
import threading
import types

_MISSING = object()
_state: dict = {"log": None, "lines": 0, "settings": {}}
_local = threading.local()
MAX_LOG_LINES = 500

# Names IPython itself puts into builtins while a cell runs.
_IPYTHON_BUILTINS = {"_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__",
                     "help", "copyright", "credits", "license", "__debug__", "dreload",
                     "input", "raw_input", "getpass", "breakpoint"}


def _record(kind: str, detail: str) -> None:
    log = _state["log"]
    if log is None or _state["lines"] >= MAX_LOG_LINES:
        return
    _state["lines"] += 1
    try:
        log.write(json.dumps({"kind": kind, "detail": detail[:300]}) + "\n")
    except Exception:  # the student may have closed it; recording is best effort
        pass


def _inside(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip("/") + "/") for f in folders)


# --- audit hook -----------------------------------------------------------------------------

def install_audit(settings: dict) -> None:
    _state["settings"] = settings
    workdir, rundir = settings["workdir"], settings["rundir"]
    course = settings.get("root")
    readable = [os.path.normpath(p) for p in settings.get("allowed", [])] + [workdir, rundir]
    writable = [workdir, rundir, "/tmp", "/dev", "/proc/self"]
    inside_course_ok = [p for p in readable if course and _inside(p, [course])]
    fd = settings.get("audit_fd")
    if fd is not None:
        # the write end of a pipe the grader reads: lines written are out of this process's reach
        os.set_inheritable(fd, False)  # not handed on to programs it runs
        _state["log"] = os.fdopen(fd, "w", buffering=1)
    else:  # a kernel started by hand (tests of the guard itself)
        _state["log"] = open(os.path.join(rundir, "audit.jsonl"), "a", buffering=1)
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event: str, args: tuple) -> None:
        if getattr(_local, "busy", False):
            return
        _local.busy = True
        try:
            if event == "open":
                path, mode, flags = (tuple(args) + (None, None, None))[:3]
                if path is None or isinstance(path, int):
                    return
                path = os.fsdecode(path)
                full = os.path.normpath(os.path.join(os.getcwd(), path))
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                    (isinstance(flags, int) and flags & write_flags and not isinstance(mode, str))
                if course and _inside(full, [course]) and not _inside(full, inside_course_ok):
                    # the course folder (source/, the gradebook, other students): never
                    _record("write outside its folder" if writing else "read outside its folder", full)
                elif writing and not _inside(full, writable):
                    _record("write outside its folder", full)
                elif not writing and not _inside(full, readable):
                    _record("read outside its folder", full)
            elif event in ("socket.connect", "socket.sendto", "socket.bind"):
                address = args[1] if len(args) > 1 else ""
                _record("network", f"{event.split('.')[1]} {address!r}")
            elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                           "os.fork", "os.forkpty"):
                detail = args[0] if args else ""
                _record("process", f"{event} {detail!r}")
            elif event == "os.kill":
                _record("process", f"os.kill{tuple(args)!r}")
        except Exception:
            pass
        finally:
            _local.busy = False

    sys.addaudithook(hook)


# --- module guard ---------------------------------------------------------------------------

class ModuleGuard:
    """Snapshot of some modules' namespaces (and their functions' code); restore() undoes changes.

    restore() runs before every cell and after every call() of a student's function, so its
    common case (nothing changed) is a C-level identity check over the snapshot.
    """

    def __init__(self, names: list[str]):
        self.names = names
        self.entries: list[tuple] = []   # (name, module, namespace copy, keys, values)
        self.functions: list = []
        self.codes: tuple = ()
        self.hot: tuple = ((), ())       # (functions, their codes) checked after every call(...)

    def snapshot(self) -> None:
        for name, module in list(sys.modules.items()):
            if module is None or not any(name == n or name.startswith(n + ".") for n in self.names):
                continue
            namespace = dict(vars(module))
            self.entries.append((name, module, namespace, tuple(namespace), tuple(namespace.values())))
            self.functions += [v for v in namespace.values() if isinstance(v, types.FunctionType)]
        self.codes = tuple(self._code_state())
        # Reading fn.__code__ raises an audit event, a call of the kernel's hook each: checking all
        # 2,500 functions after every call(...) took ~12 ms. After a call, check the functions
        # test code calls directly (the guarded modules' own namespaces, numpy's dispatchers
        # unwrapped); before every cell, all of them.
        direct = set()
        for name, module, saved, _keys, _values in self.entries:
            if name in self.names or name == "numpy.testing":
                for value in saved.values():
                    direct.add(id(getattr(value, "__wrapped__", value)))
        hot = [i for i, fn in enumerate(self.functions) if id(fn) in direct]
        self.hot = ([self.functions[i] for i in hot], tuple(tuple(state[i] for i in hot) for state in self.codes))

    def _code_state(self):
        for attribute in ("__code__", "__defaults__", "__kwdefaults__"):
            yield tuple(map(operator.attrgetter(attribute), self.functions))

    def _unchanged(self, name, module, saved, keys, values) -> bool:
        current = vars(module)
        return (sys.modules.get(name) is module and len(current) == len(saved)
                and all(map(operator.is_, map(current.get, keys), values)))

    def restore(self, only: str | None = None, after_call: bool = False) -> list[str]:
        _local.busy = True  # the guard's own reads are not the student's: no audit records
        try:
            return self._restore(only, after_call)
        finally:
            _local.busy = False

    def _restore(self, only: str | None, after_call: bool) -> list[str]:
        changed = []
        for name, module, saved, keys, values in self.entries:
            if only is not None and name != only:
                continue
            if self._unchanged(name, module, saved, keys, values):
                continue
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
            current = vars(module)
            is_builtins = name == "builtins"
            for key, value in saved.items():
                if is_builtins and key in _IPYTHON_BUILTINS:
                    continue
                if current.get(key, _MISSING) is not value:
                    current[key] = value
                    if not key.startswith("_"):
                        changed.append(f"{name}.{key}")
            if not is_builtins:
                for key in [k for k in current if k not in saved]:
                    if not isinstance(current[key], types.ModuleType) and not key.startswith("__"):
                        del current[key]
                        changed.append(f"{name}.{key}")
        if only is None:
            functions, codes = self.hot if after_call else (self.functions, self.codes)
            now = (tuple(map(operator.attrgetter(a), functions)) for a in ("__code__", "__defaults__", "__kwdefaults__"))
            if not all(all(map(operator.is_, current, saved)) for current, saved in zip(now, codes)):
                for fn, code, defaults, kwdefaults in zip(functions, *codes):
                    if fn.__code__ is not code or fn.__defaults__ is not defaults or fn.__kwdefaults__ is not kwdefaults:
                        fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults
                        changed.append(f"{fn.__module__}.{fn.__qualname__}.__code__")
        for item in changed:
            _record("monkeypatch", item)
        return changed


class _Budget:
    """Output one cell may send to the grader; the rest is counted and dropped in the kernel.

    The grader caps what it keeps too, but a loop of a million print() calls is slow to ship
    over ZMQ only to be thrown away; dropping it here keeps such a cell fast.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.reset()

    def reset(self, *_):
        self.kept = self.dropped = 0
        self.stderr_kept = self.stderr_dropped = False


class _CappedStream:
    def __init__(self, stream, budget: _Budget, is_stderr: bool):
        self._stream = stream
        self._budget = budget
        self._is_stderr = is_stderr

    def write(self, text):
        budget, size = self._budget, len(text)
        if budget.kept + size <= budget.limit:
            budget.kept += size
            if self._is_stderr and size:
                budget.stderr_kept = True
            return self._stream.write(text)
        budget.dropped += size
        if self._is_stderr and size:
            budget.stderr_dropped = True
        return size

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _cap_output(shell, limit: int) -> None:
    budget = _Budget(limit)
    out, err = sys.stdout, sys.stderr
    sys.stdout = _CappedStream(out, budget, False)
    sys.stderr = _CappedStream(err, budget, True)

    def report(*_):
        if budget.dropped:
            _record("output", f"{budget.dropped} {budget.kept}")
            out.write(f"\n[output truncated: this cell printed {(budget.kept + budget.dropped) / 2**20:.1f} MiB; "
                      f"only the first {budget.kept / 2**20:.1f} MiB is kept]\n")
            if budget.stderr_dropped and not budget.stderr_kept:
                err.write("[output to stderr truncated]\n")  # nbgrader fails a test cell that wrote to stderr
            out.flush()
            err.flush()
        budget.reset()

    shell.events.register("pre_run_cell", budget.reset)
    shell.events.register("post_run_cell", report)


def _cap_errors(shell, limit: int) -> None:
    """An error leaves the kernel cut to twice the output kept per cell. The grader cuts it again
    to what the cell has left, with a note; this spares shipping a 50 MB message to throw it away."""
    from .meter import cut_error

    send = shell._showtraceback
    budget = 2 * limit

    def showtraceback(etype, evalue, stb):
        try:
            text = str(evalue)
            over = len(text) + sum(map(len, stb)) > budget
        except Exception:  # a message that cannot be read: ipykernel says so itself
            over = False
        if over:
            evalue, stb = cut_error(text, list(stb), budget)
        return send(etype, evalue, stb)

    shell._showtraceback = showtraceback


def install_output_cap(shell=None) -> None:
    """A cell's output within `output_bytes`: streams past it dropped in the kernel, errors cut.
    Both kernels install it at start; the grader's kernel, which runs no student code, needs no
    module guard, but the student's strings reach its outputs (a failed test quotes them)."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    limit = _state["settings"].get("output_bytes")
    if shell is None or not limit:
        return
    _cap_output(shell, int(limit))
    _cap_errors(shell, int(limit))


def _release_memory(result=None) -> None:
    """After a MemoryError, drop the traceback: its frames hold what filled the memory, and
    every later cell would run out of memory too."""
    error = getattr(result, "error_in_exec", None)
    if isinstance(error, MemoryError):
        error.__traceback__ = None
        sys.last_traceback = None
        if hasattr(sys, "last_exc"):
            sys.last_exc = None
        import gc

        gc.collect()


def install_module_guard() -> None:
    """Called once in the kernel (IPKernelApp.exec_lines), before the notebook's first cell."""
    settings = _state["settings"]
    names = list(settings.get("guarded_modules", []))
    import course  # noqa: F401  the environment's package, before anything in the folder
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # The submission folder is importable (students' helper modules) but after the environment.
    workdir = settings.get("workdir")
    for entry in ("", workdir):
        while entry in sys.path:
            sys.path.remove(entry)
    if workdir:
        sys.path.append(workdir)

    guard = ModuleGuard(names)
    grading = sys.modules.get("course.grading")
    if grading is not None and hasattr(grading, "call"):
        original = grading.call

        @functools.wraps(original)
        def call(*args, **kwargs):
            try:
                return original(*args, **kwargs)
            finally:
                guard.restore(after_call=True)

        grading.call = call
    guard.snapshot()
    _state["guard"] = guard

    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        # before every cell, and as soon as one ends (the kernel's own threads use builtins too)
        shell.events.register("pre_run_cell", lambda *_: guard.restore())
        shell.events.register("post_execute", lambda *_: guard.restore(only="builtins"))
        shell.events.register("post_run_cell", _release_memory)

        def no_exit(*_args, **_kwargs):
            # exit()/quit() would shut the kernel down just after the cell, and the next
            # (innocent) cell would die with it: stop just this cell instead.
            raise SystemExit("exit() stops the notebook's kernel; while grading, only this cell stops.")

        shell.ask_exit = no_exit
        install_output_cap(shell)

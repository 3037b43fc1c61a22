"""The grader's zygote: imports once, forks a fresh grader kernel per notebook (inside the sandbox).

`python -P -s -m course.instructor.autograde.twoproc.zygote CONTROL_SOCKET LIFELINE_FD`, started by
`zygote_host.Zygote` in the grader's bubblewrap sandbox (as root there, with no capability but
changing uid and sending signals). It imports what a grader kernel imports at its start
(ipykernel, IPython, numpy, scipy.special, scikit-learn, the grading helpers) and then only
waits: it starts no thread, no event loop and no ZMQ context, so a fork of it is a clean process
(a kernel that already started would not survive a fork: ZMQ contexts and threads do not).

For each request on its control socket (a folder only root can enter, so no kernel can ask) it
forks a child that takes the request's stdout, stderr and audit pipe, drops to the notebook's own
uid, gets a private home and an empty IPython folder, and becomes an ipykernel with the request's
connection file. A kernel therefore starts from the zygote's untouched memory: nothing a test, or
a student's data in a test, did in notebook k's grader (patched modules, builtins, files, start-up
scripts, processes) exists in k+1's. The host kills everything of a notebook's uid when it ends.

Protocol (one connection per kernel, from `zygote_launcher`): the launcher sends one JSON object
`{"settings": PATH, "args": [...]}` with three file descriptors (stdout, stderr, audit pipe); the
zygote answers `{"pid": N}` and, when the kernel exits, `{"exit": STATUS}`. A connection that
closes first kills its kernel.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys

from course.instructor.autograde import lifeline

PR_SET_DUMPABLE = 4
# what a kernel imports while it starts (measured: sys.modules of a fresh fork against the zygote's)
PRELOADED = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython",
             "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.logger", "IPython.core.oinspect",
             "IPython.extensions.storemagic", "jupyter_client.session", "sqlite3", "pdb", "http.server",
             "tornado.gen", "tornado.locks", "tornado.queues", "tornado.platform.asyncio", "encodings.idna",
             "course.grading", "course.instructor.autograde.guard", "course.instructor.autograde.kernel",
             "course.instructor.autograde.twoproc.grader_side", "course.instructor.autograde.twoproc.channel")


def _set_dumpable(on: bool) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(on), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def preload() -> None:
    """Import what every grader kernel needs, without starting anything."""
    import importlib

    for name in PRELOADED:
        importlib.import_module(name)
    from course.instructor.autograde.twoproc import library

    # the modules a grader resolves names in; the set is fixed again in each kernel (install())
    for name in library.GRADER_MODULES:
        importlib.import_module(name)


def become_kernel(settings: dict, args: list[str], fds: list[int]) -> None:
    """In the forked child: take the request's descriptors, drop to the notebook's uid, start."""
    from course.instructor.autograde import guard, kernel

    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    os.setsid()
    stdout, stderr, audit = fds
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.dup2(audit, 3)
    # nothing of the zygote (its control socket, other kernels' connections) stays open
    os.closerange(4, 1 << 16)
    settings = dict(settings, audit_fd=3)
    os.chdir(settings["workdir"])
    kernel.apply_limits(settings)
    # POSIX message queues outlive their process and have no files to remove: none at all
    resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
    kernel.drop_privileges(settings.get("uid"))
    _set_dumpable(True)  # its own memory holds nothing of the zygote's; psutil reads its /proc
    os.umask(0o077)
    home = settings["home"]
    os.environ.update(HOME=home, MPLCONFIGDIR=os.path.join(home, ".matplotlib"), IPYTHONDIR=settings["ipython_dir"])
    kernel.prepare_home(settings)
    guard.install_audit(settings)
    sys.argv = [sys.argv[0]] + list(args)
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(exec_lines=settings.get("exec_lines") or [])


def _request(conn: socket.socket) -> tuple[dict, list[str], list[int]] | None:
    try:
        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        request = json.loads(data)
    except (OSError, ValueError):
        return None
    if len(fds) != 3 or not isinstance(request, dict):
        for fd in fds:
            os.close(fd)
        return None
    # the settings file is the host's, in the notebook's own runtime folder
    with open(request["settings"]) as fh:
        settings = json.load(fh)
    return settings, [str(a) for a in request.get("args", [])], fds


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def serve(control_path: str, alive: int | None = None) -> None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(control_path)
    listener.listen(16)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    kernels: dict[socket.socket, int] = {}
    watched = [] if alive is None else [alive]
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([listener, wake_read, *watched, *kernels], [], [], 1.0)
        for item in ready:
            if item is alive:
                if lifeline.ended(alive):  # the grading process is gone: so are we, and our kernels
                    os._exit(70)
            elif item is listener:
                conn, _ = listener.accept()
                request = _request(conn)
                if request is None:
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    try:
                        become_kernel(*request)
                    finally:
                        os._exit(1)
                for fd in request[2]:
                    os.close(fd)
                kernels[conn] = pid
                _send(conn, {"pid": pid})
            elif item is wake_read:
                os.read(wake_read, 512)
            else:  # the launcher went away (killed): its kernel goes too
                if not item.recv(1):
                    _kill(kernels.pop(item))
                    item.close()
        while True:  # reap kernels that ended, tell their launchers
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            for conn, child in list(kernels.items()):
                if child == pid:
                    del kernels[conn]
                    _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
                    conn.close()


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):  # the kernel leads a session of its own (setsid)
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def main() -> None:
    _set_dumpable(False)  # no kernel (another uid) may read or trace the zygote
    preload()
    if threads() != 1:  # a thread would not survive the fork: the host starts kernels plainly
        print(f"the zygote has {threads()} threads after its imports; it forks only with one", file=sys.stderr)
        sys.exit(3)
    serve(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)


if __name__ == "__main__":
    main()

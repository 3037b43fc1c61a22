"""course.mnist: the download from mirrors, its checks and cache, the fallback and when it never
downloads. The mirrors are a real HTTP server on loopback serving small IDX files this test makes
(50 digits), with their own MD5 sums; the student's view is what load_mnist prints."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course import mnist  # noqa: E402

N_TRAIN, N_TEST = 40, 10
SIGNALS = ["NBGRADER_EXECUTION", "COURSE_NO_DOWNLOAD", "CI", "PYTEST_CURRENT_TEST"]


def idx(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: magic 0 0 8 ndim, the dimensions, the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture(scope="module")
def digits():
    """The four files as the mirrors serve them (gzipped), their MD5 sums, and the digits."""
    rng = np.random.default_rng(16)
    images = rng.integers(0, 256, (N_TRAIN + N_TEST, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, N_TRAIN + N_TEST, dtype=np.uint8)
    parts = {"train-images-idx3-ubyte.gz": images[:N_TRAIN], "train-labels-idx1-ubyte.gz": labels[:N_TRAIN],
             "t10k-images-idx3-ubyte.gz": images[N_TRAIN:], "t10k-labels-idx1-ubyte.gz": labels[N_TRAIN:]}
    files = {name: gzip.compress(idx(array), mtime=0) for name, array in parts.items()}
    checksums = {name: hashlib.md5(data).hexdigest() for name, data in files.items()}
    return files, checksums, images.reshape(-1, 784) / 255.0, labels.astype(np.int64)


class Mirrors:
    """One loopback HTTP server playing several mirrors, one per URL prefix:
    /good/ serves the files, /corrupt/ the files with one byte changed, /truncated/ announces
    the full length and sends half, /empty/ answers 404 for everything."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.requests: list[str] = []
        mirrors = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                mirrors.requests.append(self.path)
                kind, _, name = self.path.strip("/").partition("/")
                data = mirrors.files.get(name)
                if data is None or kind not in ("good", "corrupt", "truncated"):
                    self.send_error(404)
                    return
                if kind == "corrupt":
                    middle = len(data) // 2
                    data = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2] if kind == "truncated" else data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def __call__(self, kind: str) -> str:
        return f"{self.url}/{kind}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server(digits):
    mirrors = Mirrors(digits[0])
    yield mirrors
    mirrors.close()


@pytest.fixture
def refused() -> str:
    """A loopback URL where nothing listens: connections are refused, as offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


class Person:
    """A person running a notebook: no grading or test signal, no local MNIST, an empty cache."""

    def __init__(self, monkeypatch, tmp_path):
        self.monkeypatch = monkeypatch
        for name in SIGNALS + [mnist.ENV_VAR, mnist.MIRRORS_ENV_VAR]:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        self.cache = tmp_path / "cache" / "nn-course" / "mnist"

    def load(self, **kwargs):
        """load_mnist as the person's notebook calls it. (pytest sets PYTEST_CURRENT_TEST again
        as each test starts: take it away here, where the test runs.)"""
        self.monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
        return mnist.load_mnist(**kwargs)


@pytest.fixture
def person(monkeypatch, tmp_path):
    return Person(monkeypatch, tmp_path)


def seen(out: str) -> list[str]:
    """The lines as a notebook shows them: a carriage return starts the line again (the
    progress bar redraws itself that way and clears itself at the end)."""
    return [line.split("\r")[-1] for line in out.split("\n") if line.split("\r")[-1].strip()]


def test_first_call_downloads_and_the_second_reads_the_cache(digits, server, person, capsys):
    files, checksums, X_all, y_all = digits
    X, y = person.load(mirrors=[server("good")], checksums=checksums)
    out = capsys.readouterr().out
    assert np.allclose(X, X_all) and np.array_equal(y, y_all), "the digits as made, training files first"
    assert X.shape == (50, 784) and X.dtype == np.float64 and 0 <= X.min() and X.max() <= 1
    assert sorted(server.requests) == sorted(f"/good/{name}" for name in files)
    assert "train-images-idx3-ubyte.gz" in out and "B/s" in out, f"no progress bar was shown:\n{out!r}"
    assert seen(out) == [f"MNIST: 50 digits from {server('good')}, downloaded once into {person.cache}."], out
    assert {p.name for p in person.cache.iterdir()} == set(files), "the four files are cached, no leftovers"

    X2, y2 = person.load(mirrors=[server("good")], checksums=checksums)
    assert len(server.requests) == 4, "the second call must not download again"
    assert np.array_equal(X2, X) and np.array_equal(y2, y)
    assert seen(capsys.readouterr().out) == [f"MNIST: 50 digits from the course's cache ({person.cache})."]


def test_max_digits_keeps_the_first_ones(digits, server, person, capsys):
    files, checksums, X_all, y_all = digits
    X, y = person.load(mirrors=[server("good")], checksums=checksums, max_digits=20)
    assert np.allclose(X, X_all[:20]) and np.array_equal(y, y_all[:20])
    assert seen(capsys.readouterr().out)[-1].startswith("MNIST: the first 20 of 50 digits from ")
    X, _ = person.load(mirrors=[server("good")], checksums=checksums, max_digits=None)
    assert len(X) == 50


@pytest.mark.parametrize("first", ["refused", "404", "corrupt", "truncated"])
def test_a_mirror_down_or_wrong_and_the_next_one_works(first, digits, server, refused, person, capsys):
    files, checksums, X_all, _ = digits
    bad = {"refused": refused, "404": server("empty"), "corrupt": server("corrupt"),
           "truncated": server("truncated")}[first]
    X, _ = person.load(mirrors=[bad, server("good")], checksums=checksums)
    assert np.allclose(X, X_all)
    assert seen(capsys.readouterr().out) == [f"MNIST: 50 digits from {server('good')}, downloaded once into {person.cache}."]
    assert all(hashlib.md5((person.cache / n).read_bytes()).hexdigest() == md5 for n, md5 in checksums.items())
    asked_bad = [r for r in server.requests if not r.startswith("/good/")]
    # A refused mirror is not asked again for the other files; one that answers is asked for each.
    assert len(asked_bad) == (0 if first == "refused" else 4), server.requests


def test_a_corrupt_file_in_the_cache_is_fetched_again(digits, server, person, capsys):
    files, checksums, X_all, _ = digits
    person.load(mirrors=[server("good")], checksums=checksums)
    damaged = person.cache / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    server.requests.clear()
    X, _ = person.load(mirrors=[server("good")], checksums=checksums)
    assert server.requests == ["/good/train-images-idx3-ubyte.gz"], "only the damaged file is fetched again"
    assert np.allclose(X, X_all)


def test_a_wrong_checksum_everywhere_falls_back_and_keeps_nothing(digits, server, person, capsys):
    files, checksums, _, _ = digits
    wrong = dict(checksums, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    assert person.load(mirrors=[server("corrupt"), server("good")], checksums=wrong) is None
    lines = seen(capsys.readouterr().out)
    assert len(lines) == 1, lines
    assert "t10k-labels-idx1-ubyte.gz could not be downloaded" in lines[0] and "MD5" in lines[0], lines
    assert "scikit-learn's 8x8 digits" in lines[0] and mnist.ENV_VAR in lines[0], lines
    assert not (person.cache / "t10k-labels-idx1-ubyte.gz").exists()
    assert not list(person.cache.glob("*.part")), "a rejected download leaves no partial file"


def test_no_network_at_all_says_in_one_line_how_to_get_mnist(digits, refused, person, capsys):
    _, checksums, _, _ = digits
    assert person.load(mirrors=[refused, refused.replace("/mnist/", "/other/")], checksums=checksums) is None
    lines = seen(capsys.readouterr().out)
    assert len(lines) == 1, lines
    line = lines[0]
    host = refused.split("/")[2]
    assert line.startswith(f"MNIST is not on this machine (not downloaded: no connection to any of the 2 MNIST "
                           f"mirrors ({host}: [Errno 111] Connection refused)), so this notebook uses "), line
    assert "scikit-learn's 8x8 digits" in line
    assert "run this cell once with internet" in line and f"set {mnist.ENV_VAR} to a folder" in line
    assert all(name in line for name in mnist.FILES), "the line names the four files to put there"


@pytest.mark.parametrize("signal, value, reason", [
    ("NBGRADER_EXECUTION", "autograde", "nbgrader is running this notebook (autograde)"),
    ("NBGRADER_EXECUTION", "validate", "nbgrader is running this notebook (validate)"),
    ("COURSE_NO_DOWNLOAD", "1", "COURSE_NO_DOWNLOAD is set"),
    ("CI", "true", "this is a CI run"),
    ("PYTEST_CURRENT_TEST", "tests/x.py::y (call)", "this is a test run"),
])
def test_never_downloads_while_graded_or_tested(signal, value, reason, digits, server, person,
                                                monkeypatch, capsys):
    _, checksums, _, _ = digits
    monkeypatch.setenv(signal, value)
    assert mnist.download_blocked() == reason
    assert mnist.load_mnist(mirrors=[server("good")], checksums=checksums) is None
    assert server.requests == [], "nothing may be downloaded"
    assert seen(capsys.readouterr().out) == [
        f"MNIST is not on this machine (not downloaded because {reason}), so this notebook uses "
        f"scikit-learn's 8x8 digits; {mnist.HOW_TO_GET}."]


def test_the_signals_off_values_allow_downloads(person, monkeypatch):
    monkeypatch.setenv("CI", "false")
    monkeypatch.setenv("COURSE_NO_DOWNLOAD", "0")
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert mnist.download_blocked() is None


def test_a_filled_cache_is_read_even_while_graded(digits, server, person, monkeypatch, capsys):
    _, checksums, X_all, _ = digits
    person.load(mirrors=[server("good")], checksums=checksums)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    X, _ = mnist.load_mnist(mirrors=[server("good")], checksums=checksums)
    assert np.allclose(X, X_all) and len(server.requests) == 4


def test_mirrors_from_the_environment(digits, server, refused, person, monkeypatch, capsys):
    _, checksums, X_all, _ = digits
    monkeypatch.setenv(mnist.MIRRORS_ENV_VAR, f"{refused}, {server('good')[:-1]}")
    X, _ = person.load(checksums=checksums)
    assert np.allclose(X, X_all)
    assert all(r.startswith("/good/") for r in server.requests) and len(server.requests) == 4


def test_a_local_folder_comes_first(digits, server, person, tmp_path, monkeypatch, capsys):
    files, checksums, X_all, y_all = digits
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    monkeypatch.setenv(mnist.ENV_VAR, str(folder))
    X, y = person.load(mirrors=[server("good")], checksums=checksums, max_digits=45)
    assert np.allclose(X, X_all[:45]) and np.array_equal(y, y_all[:45]) and server.requests == []
    assert seen(capsys.readouterr().out) == [f"MNIST: the first 45 of 50 digits from the IDX files in {folder}."]


def test_the_published_checksums_are_those_of_the_real_files():
    """The 10,000 real test digits on this machine (when there) have the MD5 sums in FILES."""
    folder = Path("/work/shared/data/mnist")
    names = [n for n in mnist.FILES if (folder / n).is_file()]
    if not names:
        pytest.skip("no real MNIST files on this machine")
    for name in names:
        assert hashlib.md5((folder / name).read_bytes()).hexdigest() == mnist.FILES[name]


# --- the kernels the course starts ---------------------------------------------------------------

def test_the_course_kernels_are_told_not_to_download(tmp_path, monkeypatch):
    from course.instructor.autograde.sandbox import Limits, Sandbox
    from course.instructor.build import kernel_env
    from course.instructor.lab import server_env

    monkeypatch.delenv("COURSE_NO_DOWNLOAD", raising=False)
    assert kernel_env(ROOT)["COURSE_NO_DOWNLOAD"] == "1", "build, validate, autograde and tests"
    assert "COURSE_NO_DOWNLOAD" not in kernel_env(ROOT, downloads=True)
    assert "COURSE_NO_DOWNLOAD" not in server_env(ROOT, "student"), "a student's own lab may download"
    limits = Limits(memory=1 << 30, processes=8, file_size=1 << 20, cell_timeout=10, notebook_timeout=60,
                    interrupt_grace=1, output_bytes=1000, notebook_output_bytes=1000, kernel_restarts=1)
    sandboxed = Sandbox(root=ROOT, limits=limits).kernel_env(tmp_path)
    assert sandboxed["COURSE_NO_DOWNLOAD"] == "1" and sandboxed["NBGRADER_EXECUTION"]


def test_a_kernel_started_as_the_course_starts_them_never_downloads(digits, server, tmp_path):
    """A real kernel with kernel_env's environment, and none of the other signals (no CI, no
    pytest variable): the loopback mirror must see no request."""
    from jupyter_client import KernelManager

    from course.instructor.build import kernel_env

    _, checksums, _, _ = digits
    env = kernel_env(ROOT)
    for name in ["NBGRADER_EXECUTION", "CI", "PYTEST_CURRENT_TEST", mnist.ENV_VAR]:
        env.pop(name, None)
    env.update({"XDG_CACHE_HOME": str(tmp_path), mnist.MIRRORS_ENV_VAR: server("good")})
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(tmp_path), env=env, extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        out = []
        reply = kc.execute_interactive(
            f"from course.mnist import load_mnist\nprint(load_mnist(checksums={checksums!r}))",
            timeout=120, output_hook=lambda m: out.append(m["content"].get("text", "")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok", reply["content"]
    assert server.requests == []
    assert seen("".join(out)) == [
        f"MNIST is not on this machine (not downloaded because COURSE_NO_DOWNLOAD is set), so this "
        f"notebook uses scikit-learn's 8x8 digits; {mnist.HOW_TO_GET}.", "None"]

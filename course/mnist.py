"""MNIST for the notebooks: local files, a user cache, or a download on first use.

`load_mnist()` looks, in order, at
1. the folder given as `path`, or in the environment variable `COURSE_MNIST_DIR`, holding the
   standard IDX files (`*-images-idx3-ubyte[.gz]` and `*-labels-idx1-ubyte[.gz]`);
2. the course's cache folder (`$XDG_CACHE_HOME/nn-course/mnist`, by default
   `~/.cache/nn-course/mnist`), filled by an earlier download;
3. scikit-learn's cache of OpenML's `mnist_784`, read without touching the network;
4. the internet: the four IDX files from the first mirror that has them (`MIRRORS`, or the
   `mirrors` argument, or the environment variable `COURSE_MNIST_MIRRORS`: URLs separated by
   spaces or commas), each checked against the MD5 sum the mirrors publish, then kept in the cache.

It never downloads while a notebook is graded or tested (see `download_blocked`). When it finds
no MNIST it prints one line saying how to get it and returns None: the notebooks carry on with
scikit-learn's 8x8 digits.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ENV_VAR = "COURSE_MNIST_DIR"
MIRRORS_ENV_VAR = "COURSE_MNIST_MIRRORS"
NO_DOWNLOAD_ENV_VAR = "COURSE_NO_DOWNLOAD"

# The public copies of Yann LeCun's MNIST files (the same bytes everywhere); the first that
# answers is used. yann.lecun.com itself now often refuses downloads, so it comes last.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
# The four files and the MD5 sums published with them (torchvision lists the same).
FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# What a notebook gets by default: the first 10,000 digits (training files first), so that the
# full 70,000 after a download train in the same time as the 10,000 of a local test set.
MAX_DIGITS = 10_000
TIMEOUT = 20  # seconds without an answer before a mirror counts as down

HOW_TO_GET = (f"to use MNIST, run this cell once with internet, or set {ENV_VAR} to a folder "
              f"holding the four MNIST IDX files ({', '.join(FILES)}) and restart the kernel")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (optionally gzipped): unsigned-byte data with its dimensions."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as error:  # gzip's BadGzipFile, a truncated stream
        raise ValueError(f"{path} cannot be read: {error}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {int(np.prod(dims))} bytes of data for shape {dims}, "
                         f"found {len(data) - offset}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


def _find(folder: Path, kind: str) -> list[Path]:
    return sorted(p for p in folder.glob(f"*-{kind}-idx*-ubyte*") if not p.name.endswith(".part"))


def load_idx_folder(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """All image/label IDX pairs in `folder` (train before test), as X (n, 784) in [0, 1] and y (n,)."""
    folder = Path(folder)
    images, labels = _find(folder, "images"), _find(folder, "labels")
    if not images or len(images) != len(labels):
        raise FileNotFoundError(f"no matching MNIST image and label IDX files in {folder}")
    # 'train-...' sorts after 't10k-...': put the training files first when both are there.
    images.sort(key=lambda p: not p.name.startswith("train"))
    labels.sort(key=lambda p: not p.name.startswith("train"))
    X = np.concatenate([read_idx(p).reshape(-1, 28 * 28) for p in images]).astype(np.float64) / 255.0
    y = np.concatenate([read_idx(p) for p in labels]).astype(np.int64)
    if len(X) != len(y):
        raise ValueError(f"{folder}: {len(X)} images but {len(y)} labels")
    return X, y


def _openml_cache(data_home: str | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    from sklearn.datasets import fetch_openml, get_data_home

    cache = Path(get_data_home(data_home)) / "openml" / "openml.org"
    if not any(cache.glob("api/v1/json/data/list/data_name/mnist_784*")):
        return None
    try:
        X, y = fetch_openml("mnist_784", version=1, data_home=data_home, return_X_y=True,
                            as_frame=False, n_retries=1, delay=0.0)
    except Exception:  # an incomplete cache would need the network: treat as absent
        return None
    return np.asarray(X, dtype=np.float64) / 255.0, np.asarray(y).astype(np.int64)


# --- where downloads go, and when they are not allowed ------------------------------------------

def cache_dir() -> Path:
    """The course's MNIST cache: $XDG_CACHE_HOME/nn-course/mnist, or ~/.cache/nn-course/mnist."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nn-course" / "mnist"


def _truthy(value: str | None) -> bool:
    return bool(value) and value.strip().lower() not in ("0", "false", "no", "off")


def download_blocked() -> str | None:
    """Why MNIST must not be downloaded now, or None when it may be.

    Downloads are for a person running a notebook. They never happen while the notebook is
    graded or tested: under nbgrader (validate, autograde: NBGRADER_EXECUTION), in the kernels the
    course starts for building, grading and tests (COURSE_NO_DOWNLOAD=1), in CI (CI=true), or
    under pytest (PYTEST_CURRENT_TEST)."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return f"nbgrader is running this notebook ({os.environ['NBGRADER_EXECUTION']})"
    if _truthy(os.environ.get(NO_DOWNLOAD_ENV_VAR)):
        return f"{NO_DOWNLOAD_ENV_VAR} is set"
    if _truthy(os.environ.get("CI")):
        return "this is a CI run"
    if os.environ.get("PYTEST_CURRENT_TEST"):
        return "this is a test run"
    return None


def _mirrors(mirrors) -> list[str]:
    if mirrors is None:
        mirrors = os.environ.get(MIRRORS_ENV_VAR) or MIRRORS
    if isinstance(mirrors, str):
        mirrors = mirrors.replace(",", " ").split()
    return [m if m.endswith("/") else m + "/" for m in mirrors]


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cached(folder: Path, checksums: dict[str, str]) -> bool:
    """Whether `folder` holds all the files with the right sums. A file with a wrong sum (a
    download cut short before the rename, a damaged disk) is deleted, to be fetched again."""
    complete = True
    for name, md5 in checksums.items():
        path = folder / name
        if not path.is_file():
            complete = False
        elif _md5(path) != md5:
            path.unlink()
            complete = False
    return complete


class _MirrorDown(Exception):
    """The mirror cannot be reached at all: no use asking it for the other files."""


def _fetch(url: str, target: Path, md5: str, progress: bool) -> None:
    """Download `url` to `target` through a .part file, checking its MD5; raise ValueError for
    wrong content, _MirrorDown when the mirror is unreachable, OSError for the rest."""
    from tqdm import tqdm  # the text bar, not the widget: it reads the same in any frontend

    part = target.with_name(f"{target.name}.{os.getpid()}.part")  # two kernels may download at once
    digest = hashlib.md5(usedforsecurity=False)
    try:
        try:
            response = urllib.request.urlopen(url, timeout=TIMEOUT)
        except urllib.error.HTTPError:
            raise  # the mirror answered: it may still have the other files
        except (urllib.error.URLError, OSError) as error:
            raise _MirrorDown(getattr(error, "reason", error)) from None
        with response, open(part, "wb") as out, tqdm(
                total=int(response.headers.get("Content-Length") or 0) or None, unit="B",
                unit_scale=True, unit_divisor=1024, desc=target.name, file=sys.stdout,
                leave=False, disable=not progress, dynamic_ncols=False, ncols=90) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                digest.update(block)
                bar.update(len(block))
        if digest.hexdigest() != md5:
            raise ValueError(f"its MD5 sum is {digest.hexdigest()}, not the published {md5}")
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)


def download(folder: str | os.PathLike | None = None, mirrors=None,
             checksums: dict[str, str] | None = None, progress: bool = True) -> list[str]:
    """Fetch the MNIST files missing from `folder` (default: `cache_dir()`), trying the mirrors
    in order for each file; return the mirrors used. Raises RuntimeError saying what went wrong
    when some file could not be fetched from any mirror."""
    folder = Path(folder) if folder is not None else cache_dir()
    checksums = FILES if checksums is None else checksums
    folder.mkdir(parents=True, exist_ok=True)
    down: dict[str, str] = {}  # mirror -> why it cannot be reached
    used: list[str] = []
    mirrors = _mirrors(mirrors)
    for name, md5 in checksums.items():
        target = folder / name
        if target.is_file():
            continue
        problems = []
        for mirror in mirrors:
            if mirror in down:
                problems.append(f"{mirror}: unreachable ({down[mirror]})")
                continue
            try:
                _fetch(mirror + name, target, md5, progress)
                used += [mirror] if mirror not in used else []
                break
            except _MirrorDown as error:
                down[mirror] = str(error)
                problems.append(f"{mirror}: unreachable ({error})")
            except urllib.error.HTTPError as error:
                problems.append(f"{mirror + name}: HTTP {error.code} {error.reason}")
            except ValueError as error:
                problems.append(f"{mirror + name}: {error}")
            except (OSError, http.client.HTTPException) as error:  # a connection cut mid-file, a full disk
                problems.append(f"{mirror + name}: {type(error).__name__}: {error}")
        else:
            if mirrors and all(m in down for m in mirrors):
                host = urllib.parse.urlsplit(mirrors[0]).netloc
                raise RuntimeError(f"no connection to any of the {len(mirrors)} MNIST mirrors "
                                   f"({host}: {down[mirrors[0]]})")
            raise RuntimeError(f"{name} could not be downloaded: " + "; ".join(problems))
    return used


# --- what the notebooks call --------------------------------------------------------------------

def _first(X: np.ndarray, y: np.ndarray, max_digits: int | None):
    return (X, y) if max_digits is None else (X[:max_digits], y[:max_digits])


def _report(verbose: bool, X: np.ndarray, total: int, where: str) -> None:
    if verbose:
        part = f"{len(X):,} digits" if len(X) == total else f"the first {len(X):,} of {total:,} digits"
        print(f"MNIST: {part} from {where}.")


def load_mnist(path: str | os.PathLike | None = None, verbose: bool = True, *,
               max_digits: int | None = MAX_DIGITS, mirrors=None,
               checksums: dict[str, str] | None = None, cache: str | os.PathLike | None = None):
    """MNIST as (X, y): X of shape (n, 784) scaled to [0, 1], y of shape (n,) with digits 0-9.

    Arguments:
        path -- a folder of IDX files; default: the environment variable COURSE_MNIST_DIR
        verbose -- print one line saying where the digits came from, or why there are none
        max_digits -- at most this many digits, the first ones (training files before test
            files): 10,000 by default, so that training takes the same time on the full 70,000
            of a download as on a folder holding the 10,000 test digits; None for all of them
        mirrors -- URLs to download from, tried in order (default: COURSE_MNIST_MIRRORS, else
            MIRRORS); a string may hold several, separated by spaces or commas
        checksums -- file name -> MD5 sum of the files to fetch (default: FILES)
        cache -- where downloads are kept (default: cache_dir())
    Returns:
        (X, y), or None after saying in one line how to get MNIST: the notebooks then use
        scikit-learn's 8x8 digits.
    """
    folder = path or os.environ.get(ENV_VAR)
    if folder:
        try:
            X, y = load_idx_folder(folder)
        except (FileNotFoundError, ValueError) as error:
            if verbose:
                print(f"MNIST: could not read {folder}: {error}")
        else:
            _report(verbose, _first(X, y, max_digits)[0], len(X), f"the IDX files in {folder}")
            return _first(X, y, max_digits)

    checksums = FILES if checksums is None else checksums
    cache = Path(cache) if cache is not None else cache_dir()
    if _cached(cache, checksums):
        X, y = load_idx_folder(cache)
        _report(verbose, _first(X, y, max_digits)[0], len(X), f"the course's cache ({cache})")
        return _first(X, y, max_digits)

    if checksums is FILES:  # another file set (a test's) is not in scikit-learn's cache
        cached = _openml_cache()
        if cached is not None:
            X, y = cached
            _report(verbose, _first(X, y, max_digits)[0], len(X), "scikit-learn's OpenML cache")
            return _first(X, y, max_digits)

    blocked = download_blocked()
    if blocked:
        reason = f"not downloaded because {blocked}"
    else:
        try:
            used = download(cache, mirrors, checksums, progress=verbose)
            X, y = load_idx_folder(cache)
        except (RuntimeError, FileNotFoundError, ValueError, OSError) as error:
            reason = f"not downloaded: {error}"
        else:
            _report(verbose, _first(X, y, max_digits)[0], len(X),
                    f"{' and '.join(used) or 'the mirrors'}, downloaded once into {cache}")
            return _first(X, y, max_digits)
    if verbose:
        print(f"MNIST is not on this machine ({reason}), so this notebook uses scikit-learn's 8x8 "
              f"digits; {HOW_TO_GET}.")
    return None

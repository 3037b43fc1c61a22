"""How much slower is 04's layer library than a plain numpy loop doing the same work?

    COURSE_MNIST_DIR=/work/shared/data/mnist .venv/bin/python tests/benchmarks/bench_training.py

Both train the same network (784-128-10, ReLU, softmax cross-entropy, He initialisation drawn
with seed 0) with the same schedule (SGD, learning rate 0.1, batches of 32, 20 epochs, the same
shuffles from seed 1, float64) on the first 8,000 of COURSE_MNIST_DIR's digits, and are tested on
the last 2,000:

- "04": the answer key's own code, executed from solutions/04_layers/04_layers.ipynb (the cells
  that define its layers, `create_model`, `he_initialize_weights` and `train`, found by their
  nbgrader grade_ids and the names they define), called as the notebook calls it;
- "plain": one function of vectorized numpy doing the same work per batch: the forward pass,
  the loss and accuracy recorded as `train` records them, the backward pass through every layer
  (down to the gradient with respect to the input, which 04's layers return because a layer
  cannot know it comes first), the update;
- "floor": the same loop without that last gradient, which training does not use: a plain
  loop's least work. Printed for comparison (the first layer's input gradient is a third of the
  matrix products).

The runs alternate (04, plain, floor, 04, ...) so that a busy machine slows them alike, and the
fastest of each counts (wall time; the CPU time of the process is printed too, a check that
the ratio is not the machine's load). BLAS gets one thread, as in the students' kernels (check_environment).
The last line reads `ratio R accuracy A baseline_accuracy B`, with R = 04's time / plain's time.
Targets: R <= 1.2, |A - B| <= 0.005.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")  # the notebook's import cell imports pyplot

import nbformat  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from course.mnist import ENV_VAR, load_idx_folder  # noqa: E402

NOTEBOOK = ROOT / "solutions" / "04_layers" / "04_layers.ipynb"
# What the benchmark calls, and what those read as they run: found in the answer key by the
# names its cells define (the exercises' cells also carry these names as grade_ids).
NEEDED = ["np", "trange", "initialize_weights", "get_batches", "accuracy", "shuffle", "softmax",
          "cross_entropy_loss", "Layer", "LinearLayer", "relu", "ReLULayer", "MultiLayerNetwork",
          "create_model", "he_initialize_weights", "train"]
SIZES = [784, 128, 10]
EPOCHS, LR, BATCH = 20, 0.1, 32
N_TRAIN, N_TEST = 8_000, 2_000


def defined_names(source: str) -> set[str]:
    """Names a cell binds at its top level: functions, classes, imports, assignments."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: not a cell the library needs
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def load_library(path: Path = NOTEBOOK) -> dict:
    """Execute, in order, the answer key's code cells that define the NEEDED names (never its
    test cells); return the namespace."""
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "answer_key_04"}
    found: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        names = defined_names(cell.source) & set(NEEDED)
        if names:
            exec(compile(cell.source, f"{path.name} cell {index} ({meta.get('grade_id', '-')})", "exec"),
                 namespace)
            found.update({name: meta.get("grade_id") or f"cell {index}" for name in names})
    missing = [name for name in NEEDED if name not in found]
    if missing:
        raise SystemExit(f"{path}: no code cell defines {', '.join(missing)}; has 04 renamed them?")
    return namespace


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) since `start`."""
    wall, cpu = clock()
    return wall - start[0], cpu - start[1]


def mnist_split():
    folder = os.environ.get(ENV_VAR)
    if not folder:
        raise SystemExit(f"set {ENV_VAR} to a folder of MNIST IDX files (10,000 digits or more)")
    X, y = load_idx_folder(folder)
    if len(X) < N_TRAIN + N_TEST:
        raise SystemExit(f"{folder} holds {len(X)} digits; the benchmark needs {N_TRAIN + N_TEST}")
    Y = np.eye(10)[y]
    return X[:N_TRAIN], Y[:N_TRAIN], X[-N_TEST:], Y[-N_TEST:]


def build_04(lib: dict):
    """04's network as its last section builds one: create_model, then He weights."""
    np.random.seed(0)
    model = lib["create_model"](SIZES)
    for layer in model._layers:
        if isinstance(layer, lib["LinearLayer"]):
            layer._W = lib["he_initialize_weights"](layer.n_in, layer.n_out)
    return model


def weights_of(model, lib: dict) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] copied from the model's linear layers."""
    out = []
    for layer in model._layers:
        if isinstance(layer, lib["LinearLayer"]):
            out += [np.array(layer._W, dtype=np.float64), np.array(layer._b, dtype=np.float64)]
    return out


def run_04(lib: dict, X, Y):
    model = build_04(lib)
    np.random.seed(1)  # the shuffles
    start = clock()
    losses, accuracies = lib["train"](model, X, Y, epochs=EPOCHS, lr=LR, batch_size=BATCH)
    return since(start), model, losses, accuracies


def train_plain(params: list[np.ndarray], X, Y, input_grad: bool = True):
    """The same mini-batch SGD, written out: one hidden ReLU layer, softmax cross-entropy.
    `input_grad`: also compute the gradient with respect to the input, as 04's layers do."""
    W1, b1, W2, b2 = (p.copy() for p in params)
    losses, accuracies = [], []
    for _ in range(EPOCHS):
        order = np.random.permutation(len(X))  # the same draw as 04's shuffle
        Xs, Ys = X[order], Y[order]
        loss = acc = 0.0
        n_batches = 0
        for start in range(0, len(Xs), BATCH):
            xb, yb = Xs[start:start + BATCH], Ys[start:start + BATCH]
            z1 = xb @ W1 + b1
            a1 = np.maximum(z1, 0.0)
            z2 = a1 @ W2 + b2
            shifted = z2 - z2.max(axis=1, keepdims=True)
            exp = np.exp(shifted)
            total = exp.sum(axis=1, keepdims=True)
            n = len(xb)
            loss += -np.sum(yb * (shifted - np.log(total))) / n
            acc += np.mean(np.argmax(yb, axis=1) == np.argmax(z2, axis=1))
            g2 = (exp / total - yb) / n
            g1 = (g2 @ W2.T) * (z1 > 0)
            W2 -= LR * (a1.T @ g2)
            b2 -= LR * g2.sum(axis=0, keepdims=True)
            W1 -= LR * (xb.T @ g1)
            b1 -= LR * g1.sum(axis=0, keepdims=True)
            if input_grad:
                g0 = g1 @ W1.T  # noqa: F841 (what 04's first LinearLayer.backward returns)
            n_batches += 1
        losses.append(loss / n_batches)
        accuracies.append(acc / n_batches)
    return [W1, b1, W2, b2], losses, accuracies


def run_plain(params, X, Y, input_grad: bool = True):
    np.random.seed(1)
    start = clock()
    trained, losses, accuracies = train_plain(params, X, Y, input_grad)
    return since(start), trained, losses, accuracies


def plain_predict(params, X):
    W1, b1, W2, b2 = params
    return np.argmax(np.maximum(X @ W1 + b1, 0.0) @ W2 + b2, axis=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating (default 3)")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (default 1, as the kernels)")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.blas_threads, user_api="blas")
    os.environ.setdefault("TQDM_DISABLE", "1")  # train's progress bar: 20 redraws, not worth a line
    lib = load_library()
    X, Y, X_test, Y_test = mnist_split()
    params = weights_of(build_04(lib), lib)
    labels = np.argmax(Y_test, axis=1)
    times = {"04": [], "plain": [], "floor": []}  # (wall, cpu) per run
    print(f"{len(X)} training and {len(X_test)} test digits, network {SIZES}, {EPOCHS} epochs, "
          f"batches of {BATCH}, lr {LR}, BLAS threads {args.blas_threads}")
    for round_ in range(args.repeat):
        seconds, model, losses_04, acc_04 = run_04(lib, X, Y)
        times["04"].append(seconds)
        seconds, trained, losses_plain, acc_plain = run_plain(params, X, Y)
        times["plain"].append(seconds)
        seconds, floor_trained, _, _ = run_plain(params, X, Y, input_grad=False)
        times["floor"].append(seconds)
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} s (CPU {v[-1][1]:.2f} s)"
                                                   for k, v in times.items()))
    accuracy = float(np.mean(np.argmax(model(X_test), axis=1) == labels))
    baseline = float(np.mean(plain_predict(trained, X_test) == labels))
    print(f"final training loss: 04 {losses_04[-1]:.4f}, plain {losses_plain[-1]:.4f}; "
          f"training accuracy of the last epoch: 04 {acc_04[-1]:.4f}, plain {acc_plain[-1]:.4f}")
    assert all(np.array_equal(a, b) for a, b in zip(trained, floor_trained)), "floor trained differently"
    wall = {k: min(t[0] for t in v) for k, v in times.items()}
    cpu = {k: min(t[1] for t in v) for k, v in times.items()}
    print("fastest: " + ", ".join(f"{k} {wall[k]:.2f} s (CPU {cpu[k]:.2f} s)" for k in times))
    print(f"CPU time: 04 / plain {cpu['04'] / cpu['plain']:.3f}; wall time: 04 / floor "
          f"{wall['04'] / wall['floor']:.3f}, plain / floor {wall['plain'] / wall['floor']:.3f}")
    ratio = wall["04"] / wall["plain"]
    print(f"ratio {ratio:.3f} accuracy {accuracy:.4f} baseline_accuracy {baseline:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

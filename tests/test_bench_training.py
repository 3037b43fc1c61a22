"""tests/benchmarks/bench_training.py compares like with like: it finds 04's library in the answer
key, and its plain loop trains exactly as 04's `train` does (same losses, accuracies, weights)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

import bench_training as bench  # noqa: E402


@pytest.fixture(scope="module")
def lib():
    return bench.load_library()


def test_the_library_comes_from_the_answer_key(lib):
    assert lib["train"].__code__.co_filename.startswith("04_layers.ipynb cell")
    model = bench.build_04(lib)
    kinds = [type(layer).__name__ for layer in model._layers]
    assert kinds == ["LinearLayer", "ReLULayer", "LinearLayer"], kinds
    W1 = model._layers[0]._W
    assert W1.shape == (784, 128) and abs(W1.std() - np.sqrt(2 / 784)) < 0.002, "He initialisation"


def test_the_plain_loop_trains_exactly_as_04_does(lib, monkeypatch):
    monkeypatch.setattr(bench, "EPOCHS", 2)
    rng = np.random.default_rng(0)
    X = rng.random((200, 784))  # 200 rows: the last batch of each epoch is short (8 rows)
    Y = np.eye(10)[rng.integers(0, 10, 200)]
    _, model, losses, accuracies = bench.run_04(lib, X, Y)
    params = bench.weights_of(bench.build_04(lib), lib)
    for input_grad in (True, False):
        _, trained, plain_losses, plain_accuracies = bench.run_plain(params, X, Y, input_grad)
        assert np.allclose(plain_losses, losses, rtol=1e-10) and np.allclose(plain_accuracies, accuracies)
        assert all(np.allclose(a, b, rtol=1e-9, atol=1e-12) for a, b in zip(trained, bench.weights_of(model, lib)))

"""The tamper report's static scan (`course.instructor.autograde.tamper`) on small notebooks: each kind
of finding from the code that shows it, none from ordinary answers; seconds, no kernel."""
from __future__ import annotations

import nbformat
import pytest

from course.instructor.autograde import tamper


def notebook(*sources: str, grade_id: str | None = None):
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if grade_id:
        cells[0].metadata["nbgrader"] = {"grade_id": grade_id, "locked": True}
    return nbformat.v4.new_notebook(cells=cells)


def kinds(*sources: str) -> set[str]:
    return {f["kind"] for f in tamper.scan_notebook(notebook(*sources))}


FOUND = {
    "helper": ["expect_close = lambda *a, **k: None", "def call(f, *a):\n    return 0",
               "from course.grading import call as expect"],
    "monkeypatch": ["import numpy as np\nnp.allclose = lambda *a, **k: True", "import builtins\nbuiltins.len = max",
                    "import numpy as np\nsetattr(np, 'isclose', lambda *a: True)", "import sys\nsys.modules['numpy'] = None",
                    "import course.grading as g\ndel g.expect"],
    "builtin": ["isinstance = lambda *a: True", "def len(x):\n    return 3", "class float:\n    pass",
                "np = None"],
    "files": ["open('../../gradebook.db')", "open('/etc/passwd').read()", "import pandas\npandas.read_csv('source/x.csv')"],
    "write": ["open('/tmp/x', 'w').write('x')", "open('../out.txt', mode='a')"],
    "introspection": ["print(_ih)", "import inspect", "sys._getframe(1)", "x = In[3]"],
    "network": ["import socket", "from urllib.request import urlopen", "import requests"],
    "process": ["import os\nos.system('ls')", "import os\nos.fork()"],
    "exit": ["import os\nos._exit(1)", "import sys\nsys.exit()", "import os, signal\nos.kill(os.getpid(), 9)"],
}


@pytest.mark.parametrize("kind,source", [(k, s) for k, sources in FOUND.items() for s in sources])
def test_each_kind_is_found_in_the_code_that_shows_it(kind, source):
    assert tamper.KINDS[kind] in kinds(source), source


ORDINARY = [
    "import numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
    "from scipy.special import expit\nsigmoid = expit",
    "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.title('loss')",
    "weights = np.random.default_rng(0).normal(size=(2, 3))\nweights[0] = 1\nlayer.W = weights",
    "with open('results.txt', 'w') as fh:\n    fh.write('ok')",
    "from sklearn.neural_network import MLPClassifier\nmodel = MLPClassifier(max_iter=300)",
    "%matplotlib inline\nx = 1",
    "total = sum(len(x) for x in [[1], [2, 3]])",
]


@pytest.mark.parametrize("source", ORDINARY)
def test_ordinary_answers_are_not_findings(source):
    assert kinds(source) == set(), source


def test_a_finding_names_its_cell_and_line():
    nb = notebook("x = 1", "y = 2\nimport socket")
    nb.cells[1].metadata["nbgrader"] = {"grade_id": "sigmoid"}
    (finding,) = tamper.scan_notebook(nb)
    assert (finding["cell"], finding["line"], finding["detail"], finding["how"]) == \
        ("sigmoid", 2, "import socket", "code")
    assert tamper.scan_notebook(notebook("import socket", "z = 1"))[0]["cell"] == "cell 1"


def test_locked_cells_are_not_scanned_they_are_restored_anyway():
    nb = notebook("import socket", grade_id="test_sigmoid")
    assert tamper.scan_notebook(nb, locked_ids={"test_sigmoid"}) == []
    assert tamper.scan_notebook(nb) != []


def test_code_that_cannot_be_parsed_is_skipped_not_a_crash():
    deep = "x = " + "(" * 300 + "1" + ")" * 300
    long_sum = "x = " + "+".join(["1"] * 100_000)
    assert kinds("def broken(:\n    pass", deep, long_sum, "import socket") == {tamper.KINDS["network"]}


def test_a_finding_repeated_in_a_cell_is_reported_once_per_cell():
    found = tamper.scan_notebook(notebook("import socket\nimport socket", "import socket"))
    assert sorted(f["cell"] for f in found) == ["cell 1", "cell 2"]


def test_an_alias_imported_in_an_earlier_cell_is_followed():
    assert tamper.KINDS["monkeypatch"] in kinds("import numpy as xp", "xp.dot = None")


def test_files_named_like_installed_modules_are_shadowing(tmp_path):
    (tmp_path / "numpy.py").write_text("x = 1")
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "__init__.py").write_text("")
    (tmp_path / "my_helpers.py").write_text("x = 1")
    (tmp_path / "unittest.__main__.x.py").write_text("x = 1")  # never imported to be looked up
    (tmp_path / "data.csv").write_text("1,2")
    found = {f["detail"] for f in tamper.shadowing_files(tmp_path)}
    assert found == {"numpy.py", "course/", "unittest.__main__.x.py"}

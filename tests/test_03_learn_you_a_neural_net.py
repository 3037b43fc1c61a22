"""03_learn_you_a_neural_net: the answer key's NN is a scikit-learn estimator, by scikit-learn's own judge.

The notebook teaches scikit-learn's conventions and its hidden tests grade them one by one; here
the answer key's `NN` and `EarlyStoppingNN` go through `sklearn.utils.estimator_checks.check_estimator`
in the kernel that ran the notebook. Every check passes except the few below, which assume a
classifier that encodes arbitrary labels: `NN` learns 0/1 indicator columns, like the talk's `Y`,
and predicts one column per output unit.

The test cells themselves are checked for idioms that survive grading in two processes (issue 15):
no hidden class subclasses a student's class, no `inspect`.
"""
from __future__ import annotations

import json

ASSIGNMENT = "03_learn_you_a_neural_net"

EXPECTED_FAILURES = {
    "check_classifiers_classes": "string and -1/1 labels: NN learns 0/1 targets and does not encode labels",
    "check_classifiers_regression_target": "NN does not reject continuous targets (it would need label checks)",
    "check_classifiers_train": "multiclass labels 0/1/2 and 1-D predictions: NN predicts 0/1 columns",
    "check_classifiers_one_label": "predictions are (m, 1) for one output unit, not (m,)",
    "check_supervised_y_2d": "a (m, 1) y is NN's native format: no DataConversionWarning, (m, 1) predictions",
}

CHECK = """
import json as _json, warnings as _warnings
from sklearn.utils.estimator_checks import check_estimator as _check_estimator
_report = {}
for _estimator in (NN([(4, K.sigmoid), (1, K.sigmoid)], n_iter=100, random_state=0),
                   EarlyStoppingNN([(4, K.sigmoid), (1, K.sigmoid)], n_iter=100, random_state=0)):
    _statuses = {}
    def _record(**result):
        _statuses[result["check_name"]] = result["status"]
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        _check_estimator(_estimator, on_fail=None, on_skip=None, callback=_record)
    _report[type(_estimator).__name__] = _statuses
print(_json.dumps(_report))
"""


def test_answer_key_estimators_pass_scikit_learns_check_estimator(answer_keys):
    key = answer_keys(ASSIGNMENT)
    result = key.kernel.run(CHECK)
    assert result.passed, result.why()
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for name, statuses in report.items():
        passed = {check for check, status in statuses.items() if status == "passed"}
        failed = {check for check, status in statuses.items() if status == "failed"}
        assert failed == set(EXPECTED_FAILURES), (
            f"{name}: unexpected failures {sorted(failed - set(EXPECTED_FAILURES))}, "
            f"expected failures that now pass {sorted(set(EXPECTED_FAILURES) - failed)}"
        )
        # the conventions the notebook teaches are among the checks that pass
        assert {"check_estimator_cloneable", "check_no_attributes_set_in_init", "check_estimators_unfitted",
                "check_dont_overwrite_parameters", "check_fit_idempotent", "check_estimators_pickle",
                "check_n_features_in_after_fitting", "check_fit2d_predict1d"} <= passed, sorted(passed)


STUDENT_CLASSES = {"NN", "EarlyStoppingNN", "LayerKind"}


def test_test_cells_use_idioms_that_can_cross_a_process_boundary():
    """Grading is moving to two processes, student code in one and tests in the other: test cells
    call the student's functions and read their objects' attributes. No class in a test cell may
    subclass a student's class (under any alias), and no test cell may import `inspect`."""
    import ast

    import nbformat

    from conftest import ROOT

    nb = nbformat.read(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    problems = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        tree = ast.parse(cell.source)
        aliases = set(STUDENT_CLASSES)
        for node in ast.walk(tree):  # _Student = EarlyStoppingNN makes _Student a student class too
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in STUDENT_CLASSES:
                aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                if bases & aliases:
                    problems.append(f"{meta['grade_id']}: class {node.name} subclasses {sorted(bases & aliases)}")
            if isinstance(node, ast.Import) and any(a.name == "inspect" for a in node.names):
                problems.append(f"{meta['grade_id']}: imports inspect")
            if isinstance(node, ast.ImportFrom) and node.module == "inspect":
                problems.append(f"{meta['grade_id']}: imports from inspect")
    assert not problems, problems

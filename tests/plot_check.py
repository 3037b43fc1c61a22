"""Check every figure a notebook draws, cell by cell, inside its own kernel.

`install(kernel)` registers an IPython post_run_cell hook: after each cell it checks every open
Matplotlib figure with `course.plots.missing_labels`, records the result with the cell's source,
and closes the figures, as Jupyter's inline backend does after each cell (so what is checked is
what a student sees under that cell). `report(kernel)` reads the records back. The hook never
writes to stderr: nbgrader would score a test cell zero for that.
"""
from __future__ import annotations

import json

HOOK = r'''
def _course_plot_check():
    import sys
    records = []

    def after_cell(result):
        entry = {"cell": getattr(getattr(result, "info", None), "raw_cell", "") or "", "figures": []}
        records.append(entry)
        if "matplotlib.pyplot" not in sys.modules:  # the cell drew nothing with pyplot
            return
        try:
            import matplotlib.pyplot as plt
            from course.plots import missing_labels
            for num in plt.get_fignums():
                fig = plt.figure(num)
                title = fig.get_suptitle() or next((a.get_title() for a in fig.axes if a.get_title()), "")
                entry["figures"].append({"title": title, "problems": missing_labels(fig)})
            plt.close("all")
        except Exception as error:  # report it in the test, not on the cell's stderr
            entry["error"] = f"{type(error).__name__}: {error}"

    get_ipython().events.register("post_run_cell", after_cell)
    return records


_course_plot_records = _course_plot_check()
del _course_plot_check
'''


def install(kernel) -> None:
    result = kernel.run(HOOK)
    assert result.passed, f"could not install the plot check: {result.why()}"


def report(kernel) -> list[dict]:
    """One record per cell run since `install`: {"cell": source, "figures": [...], "error"?}."""
    result = kernel.run("import json as _json\nprint(_json.dumps(_course_plot_records))\ndel _json")
    assert result.passed, f"could not read the plot check: {result.why()}"
    # The hook also sees the cell that installed it and earlier reports: leave those out.
    return [r for r in json.loads(result.stdout) if "_course_plot_" not in r["cell"]]

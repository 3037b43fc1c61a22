"""Check every figure a notebook draws, cell by cell, inside its own kernel.

`install(kernel)` registers IPython hooks: after each cell, before matplotlib-inline shows and
closes that cell's figures, every open Matplotlib figure is checked with
`course.plots.missing_labels` and the result recorded with the cell's source (so what is checked
is what a student sees under that cell). With a non-inline backend (Agg) the hook closes the
figures itself, as the inline backend would. `report(kernel)` reads the records back. The hooks
never write to stderr: nbgrader would score a test cell zero for that.
"""
from __future__ import annotations

import json

HOOK = r'''
def _course_plot_check():
    import sys
    shell = get_ipython()
    records, current = [], {}

    def before(info):
        current["cell"] = getattr(info, "raw_cell", "") or ""
        # Be the first to run after the cell, ahead of matplotlib-inline's flush_figures (which
        # registers itself when pyplot is first imported, and closes the figures it shows).
        callbacks = shell.events.callbacks["post_execute"]
        if after in callbacks and callbacks[0] is not after:
            callbacks.remove(after)
            callbacks.insert(0, after)

    def after():
        if "cell" not in current:  # the cell that installed these hooks
            return
        entry = {"cell": current.pop("cell"), "figures": []}
        records.append(entry)
        if "matplotlib.pyplot" not in sys.modules:  # the cell drew nothing with pyplot
            return
        try:
            import matplotlib
            import matplotlib.pyplot as plt
            from course.plots import missing_labels
            for num in plt.get_fignums():
                fig = plt.figure(num)
                title = fig.get_suptitle() or next((a.get_title() for a in fig.axes if a.get_title()), "")
                entry["figures"].append({"title": title, "problems": missing_labels(fig)})
            if "inline" not in matplotlib.get_backend():
                plt.close("all")
        except Exception as error:  # report it in the test, not on the cell's stderr
            entry["error"] = f"{type(error).__name__}: {error}"

    shell.events.register("pre_run_cell", before)
    shell.events.register("post_execute", after)
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

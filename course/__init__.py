"""Neural Networks from Scratch: the course's own code.

- `course.datasets`  data sets the notebooks load (moons, XOR, the talk's eight rows)
- `course.mnist`     MNIST from local files, its cache, or one download (never while graded)
- `course.plots`     the pictures: data, decision boundaries, loss curves, network diagrams
- `course.diagrams`  05's network with the current step highlighted
- `course.grading`   checks used by the notebooks' test cells
- `course.validate`  `python -m course validate NOTEBOOK`: the student's Validate
- `course.check_environment()`  the first cell of every notebook: is this kernel ready?

That is the student package, what the student kit ships. The instructor's tools (the `course`
command: build, demo, lab, autograde) live in `course.instructor`, which imports this package
and is never imported by it.
"""
from .environment import check_environment

__version__ = "0.2.0"

"""Neural Networks from Scratch: the course's own code.

- `course.datasets`  data sets the notebooks load (moons, XOR, the talk's eight rows)
- `course.mnist`     MNIST from local files, its cache, or one download (never while graded)
- `course.plots`     the pictures: data, decision boundaries, loss curves, network diagrams
- `course.diagrams`  05's network with the current step highlighted
- `course.grading`   checks used by the notebooks' test cells
- `course.cli`       the `course` command (build, demo, validate, lab, ...)
- `course.check_environment()`  the first cell of every notebook: is this kernel ready?
"""
from .environment import check_environment

__version__ = "0.1.0"

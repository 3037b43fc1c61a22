"""Neural Networks from Scratch: the course's own code.

- `course.datasets`  data sets the notebooks load (moons, XOR, digits, MNIST)
- `course.plots`     the pictures: data, decision boundaries, loss curves, network diagrams
- `course.grading`   checks used by the notebooks' test cells
- `course.cli`       the `course` command (build, demo, lab, ...)
- `course.check_environment()`  the first cell of every notebook: is this kernel ready?
"""
from .environment import check_environment

__version__ = "0.1.0"

"""Neural Networks from Scratch: the course's own code.

- `course.datasets`  data sets the notebooks load (moons, XOR, digits, MNIST)
- `course.plots`     the pictures: data, decision boundaries, loss curves, network diagrams
- `course.grading`   checks used by the notebooks' test cells
- `course.cli`       the `course` command (build, demo, ...)
"""
__version__ = "0.1.0"

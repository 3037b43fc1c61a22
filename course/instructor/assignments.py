"""The course's assignments, in teaching order. Each lives in source/<id>/<id>.ipynb."""

ASSIGNMENTS = [
    "01_xor",
    "02_moons",
    "03_learn_you_a_neural_net",
    "04_layers",
    "05_deep_learning_from_scratch",
]


def notebook_name(assignment: str) -> str:
    """Every assignment has one notebook, named after it."""
    return f"{assignment}.ipynb"

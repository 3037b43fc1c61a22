"""Network diagrams drawn with Matplotlib: the pictures 05_deep_learning_from_scratch talks about.

`draw_network(step)` draws the talk's network (3 inputs, 4 hidden neurons, 1 output, the loss)
and highlights one step of the forward pass (``"A"``, ``"B"``, ``"C"``, ``"P"``, ``"L"``) or of
backpropagation (``"dLdP"``, ``"dPdC"``, ``"dCdW"``, ``"dLdW"``, ``"dCdB"``, ``"dBdA"``,
``"dAdV"``, ``"dLdV"``): every "Where are we?" cell calls it. Each neuron is drawn as a circle
cut in two: its left half adds up its weighted inputs (a, c), its right half applies the sigmoid
(b, p). `draw_neuron()` zooms in on one such neuron, forwards and backwards.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Wedge

FORWARD = "#1f77b4"   # blue: values flowing forwards
BACKWARD = "#d62728"  # red: derivatives flowing backwards
IDLE = "#b0b0b0"      # grey: the rest of the network
FILL = "#f4f4f4"

# Where each part of the 3-4-1 network sits.
_INPUT_X, _HIDDEN_X, _OUTPUT_X, _LOSS_X = 0.0, 3.2, 6.4, 8.6
_INPUT_Y = [1.5, 0.0, -1.5]
_HIDDEN_Y = [2.4, 0.8, -0.8, -2.4]
_R = 0.5
_SUB = "₀₁₂₃₄₅₆₇₈₉"  # subscript digits: plain text draws much faster than mathtext

# For every step: its colour, what it highlights, and its caption. The highlighted parts are
# "V" (input-to-hidden weights), "a"/"b" (left/right halves of the hidden neurons), "W",
# "c"/"p" (halves of the output neuron), "L" (the loss) and "x" (the inputs).
STEPS: dict[str, tuple[str, set[str], str]] = {
    "A": (FORWARD, {"x", "V", "a"}, "Step 1: A = XV"),
    "B": (FORWARD, {"a", "b"}, "Step 2: B = σ(A)"),
    "C": (FORWARD, {"b", "W", "c"}, "Step 3: C = BW"),
    "P": (FORWARD, {"c", "p"}, "Step 4: P = σ(C)"),
    "L": (FORWARD, {"p", "L"}, "Step 5: L = ½(y − P)²"),
    "dLdP": (BACKWARD, {"L", "p"}, "Backpropagation step 1: ∂L/∂P = −(y − P)"),
    "dPdC": (BACKWARD, {"p", "c"}, "Backpropagation step 2: ∂P/∂C = σ(C)(1 − σ(C))"),
    "dCdW": (BACKWARD, {"c", "W", "b"}, "Backpropagation step 3: ∂C/∂W = Bᵀ"),
    "dLdW": (BACKWARD, {"L", "p", "c", "W"}, "∂L/∂W = Bᵀ · (∂L/∂P * ∂P/∂C)"),
    "dCdB": (BACKWARD, {"c", "W", "b"}, "Backpropagation step 4: ∂C/∂B = Wᵀ"),
    "dBdA": (BACKWARD, {"b", "a"}, "Backpropagation step 5: ∂B/∂A = σ(A)(1 − σ(A))"),
    "dAdV": (BACKWARD, {"a", "V", "x"}, "Backpropagation step 6: ∂A/∂V = Xᵀ"),
    "dLdV": (BACKWARD, {"L", "p", "c", "W", "b", "a", "V"}, "∂L/∂V: the chain from L back to V"),
}
# Backward steps that end at a layer of weights (a derivative with respect to W or V): their
# arrows stop at the middle of each weight's line, where a dot marks the weight, instead of
# going on to the neurons or inputs on the other side. Step 3 (∂C/∂W) stops at W; step 4
# (∂C/∂B) goes through W on to the hidden neurons' outputs b.
ENDS_AT_WEIGHTS = {"dCdW": "W", "dLdW": "W", "dAdV": "V", "dLdV": "V"}
# What a step's picture says in words, next to the highlighted part.
NOTES = {
    "dCdW": ("∂c/∂wⱼ = bⱼ: the slope of c\nalong each weight is the value\nthat weight multiplies", (7.0, 2.2)),
    "dCdB": ("∂c/∂bⱼ = wⱼ: the slope of c\nalong each bⱼ is its weight;\nit goes back through W to b", (7.0, 2.2)),
}


def _arrow(ax, start, end, color, width=1.0, style="-|>", zorder=1, linestyle="-"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color,
                                 linewidth=width, zorder=zorder, linestyle=linestyle,
                                 shrinkA=0, shrinkB=0))


def _split_neuron(ax, center, left, right, left_color, right_color):
    """A neuron: the left half sums (label `left`), the right half squashes (label `right`)."""
    x, y = center
    for theta1, theta2, color, label, dx in [(90, 270, left_color, left, -0.23),
                                             (270, 90, right_color, right, 0.23)]:
        active = color != IDLE
        ax.add_patch(Wedge(center, _R, theta1, theta2, facecolor=color if active else FILL,
                           alpha=0.25 if active else 1.0, edgecolor="none", zorder=3))
        ax.text(x + dx, y, label, ha="center", va="center", fontsize=10, zorder=5,
                color=color if active else "#555555", fontweight="bold" if active else "normal")
    ax.add_patch(Circle(center, _R, facecolor="none", zorder=4,
                        edgecolor=left_color if left_color != IDLE else right_color if right_color != IDLE else "#777777",
                        linewidth=1.8 if IDLE not in (left_color, right_color) else 1.0))
    ax.plot([x, x], [y - _R, y + _R], color="#777777", linewidth=0.8, zorder=4)


def draw_network(step: str | None = None, ax=None, title: str | None = None):
    """The talk's 3-4-1 network, with one step of the forward or backward pass highlighted.

    ``step=None`` draws the plain network (the talk's ``neural_net_v3.png``). Returns the Axes.
    """
    if step is not None and step not in STEPS:
        raise ValueError(f"unknown step {step!r}; choose one of {', '.join(STEPS)} or None")
    color, parts, caption = STEPS[step] if step else (IDLE, set(), "A neural net with one hidden layer")
    direction = "forward" if color == FORWARD else "backward" if color == BACKWARD else None

    def c(part):
        return color if part in parts else IDLE

    ends_at = ENDS_AT_WEIGHTS.get(step)

    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 4.4))

    # Weights V: every input to every hidden neuron; W: every hidden neuron to the output. A
    # highlighted connection gets an arrowhead in the direction things flow in this step: towards
    # the output on the forward pass, back towards the inputs on the backward pass.
    def connect(start, end, part):
        if part not in parts:
            ax.plot(*zip(start, end), color=IDLE, linewidth=0.8, zorder=1)
        elif direction == "backward" and part == ends_at:
            # the derivative is with respect to the weights: the arrow ends at the weight (a dot
            # halfway along its line); the rest of the line is left grey
            middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            ax.plot(*zip(start, middle), color=IDLE, linewidth=0.8, zorder=1)
            _arrow(ax, end, middle, color, width=1.6)
            ax.plot(*middle, "o", color=color, markersize=5, zorder=2)
        elif direction == "backward":
            _arrow(ax, end, start, color, width=1.6)
        else:
            _arrow(ax, start, end, color, width=1.6)

    for yi in _INPUT_Y:
        for yh in _HIDDEN_Y:
            connect((_INPUT_X + 0.3, yi), (_HIDDEN_X - _R, yh), "V")
    for yh in _HIDDEN_Y:
        connect((_HIDDEN_X + _R, yh), (_OUTPUT_X - _R, 0.0), "W")
    # Each label sits over its own weights: V between the inputs and the hidden layer, W between
    # the hidden layer and the output.
    ax.text((_INPUT_X + _HIDDEN_X) / 2 - 0.3, 2.95, "weights V (3 × 4)", ha="center", fontsize=10,
            color=color if "V" in parts else "#555555")
    ax.text(_HIDDEN_X + _R + 1.0, 1.45, "weights W\n(4 × 1)", ha="left", va="bottom", fontsize=10,
            color=color if "W" in parts else "#555555")

    for i, yi in enumerate(_INPUT_Y, start=1):
        active = "x" in parts
        ax.add_patch(FancyBboxPatch((_INPUT_X - 0.3, yi - 0.25), 0.6, 0.5, boxstyle="round,pad=0.04",
                                    facecolor=color if active else FILL, alpha=0.25 if active else 1.0,
                                    edgecolor=c("x") if active else "#777777", zorder=3))
        ax.text(_INPUT_X, yi, f"x{_SUB[i]}", ha="center", va="center", fontsize=11, zorder=5)
    for i, yh in enumerate(_HIDDEN_Y, start=1):
        _split_neuron(ax, (_HIDDEN_X, yh), f"a{_SUB[i]}", f"b{_SUB[i]}", c("a"), c("b"))
    _split_neuron(ax, (_OUTPUT_X, 0.0), "c", "p", c("c"), c("p"))

    # The loss compares the prediction p with the target y.
    active = "L" in parts
    ax.add_patch(FancyBboxPatch((_LOSS_X - 0.45, -0.35), 0.9, 0.7, boxstyle="round,pad=0.05",
                                facecolor=color if active else FILL, alpha=0.25 if active else 1.0,
                                edgecolor=c("L") if active else "#777777", zorder=3))
    ax.text(_LOSS_X, 0.0, "L", ha="center", va="center", fontsize=12, zorder=5)
    ax.text(_LOSS_X, -0.75, "target y", ha="center", va="center", fontsize=9, color="#555555")
    _arrow(ax, (_LOSS_X, -0.6), (_LOSS_X, -0.42), "#777777", style="-|>")
    # p feeds the loss; on the backward pass the loss's gradient flows from L back to p.
    link = "L" in parts and "p" in parts
    start, end = (_OUTPUT_X + _R, 0.0), (_LOSS_X - 0.5, 0.0)
    if direction == "backward":
        start, end = end, start
    _arrow(ax, start, end, color if link else IDLE, width=1.6 if link else 0.8)

    ax.text(_INPUT_X, -2.75, "inputs X", ha="center", fontsize=10, color="#555555")
    ax.text(_HIDDEN_X, -3.35, "hidden layer\nA = XV,  B = σ(A)", ha="center", va="center",
            fontsize=9, color="#555555")
    ax.text(_OUTPUT_X, -1.0, "output\nC = BW, P = σ(C)", ha="center", va="center",
            fontsize=9, color="#555555")

    if step in NOTES:
        note, (x, y) = NOTES[step]
        ax.text(x, y, note, ha="left", va="center", fontsize=8.5, color=color)

    if direction:
        start, end = (0.2, -4.5), (8.4, -4.5)
        if direction == "backward":
            start, end = end, start
        _arrow(ax, start, end, color, width=1.2, linestyle="--")
        ax.text(4.3, -4.42, f"{direction} pass", ha="center", va="bottom", fontsize=9, color=color)

    ax.set_xlim(-0.8, 9.4)
    ax.set_ylim(-4.7, 3.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or (f"Where are we? {caption}" if step else caption), fontsize=12,
                 color=color if step else "black")
    return ax


def draw_neuron(ax=None, title: str = "One neuron, forwards (blue) and backwards (red)"):
    """One neuron of a layer: what it computes on the forward pass (blue) and what it sends back
    on the backward pass (red), with the local rule of each stage written underneath."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9.5, 4.6))
    center, r = (4.0, 0.0), 0.75
    inputs_y = [1.3, 0.0, -1.3]
    for i, yi in enumerate(inputs_y, start=1):
        ax.add_patch(FancyBboxPatch((-0.3, yi - 0.22), 0.6, 0.44, boxstyle="round,pad=0.04",
                                    facecolor=FILL, edgecolor="#777777", zorder=3))
        ax.text(0, yi, f"x{_SUB[i]}", ha="center", va="center", fontsize=11, zorder=4)
        end = (center[0] - r * 0.97, 0.25 * (2 - i) - 0.25)
        _arrow(ax, (0.38, yi), end, FORWARD, width=1.1)
        ax.text(1.3, yi * 0.78 - 0.35, f"w{_SUB[i]}", fontsize=11, color=FORWARD, ha="center")
    # The gradient sent back to the first input, drawn once to keep the picture readable.
    _arrow(ax, (center[0] - r * 0.55, 0.62), (0.45, 1.5), BACKWARD, width=1.1, linestyle="--")
    ax.text(2.6, 1.45, "∂L/∂x₁ = w₁ · ∂L/∂z", fontsize=10,
            color=BACKWARD, ha="left")

    ax.add_patch(Wedge(center, r, 90, 270, facecolor=FORWARD, alpha=0.12, edgecolor="none", zorder=2))
    ax.add_patch(Wedge(center, r, 270, 90, facecolor=FORWARD, alpha=0.28, edgecolor="none", zorder=2))
    ax.add_patch(Circle(center, r, facecolor="none", edgecolor="#555555", linewidth=1.4, zorder=3))
    ax.plot([center[0]] * 2, [-r, r], color="#555555", linewidth=0.8, zorder=3)
    ax.text(center[0] - 0.36, 0, "z", ha="center", va="center", fontsize=14, zorder=4)
    ax.text(center[0] + 0.36, 0, "σ", ha="center", va="center", fontsize=14, zorder=4)

    _arrow(ax, (center[0] + r, 0.15), (7.3, 0.15), FORWARD, width=1.4)
    _arrow(ax, (7.3, -0.15), (center[0] + r, -0.15), BACKWARD, width=1.4)
    ax.text(6.05, 0.32, "out = σ(z)", ha="center", fontsize=11, color=FORWARD)
    ax.text(6.05, -0.6, "∂L/∂out", ha="center", fontsize=11, color=BACKWARD)
    ax.text(7.45, 0.0, "next\nlayer", ha="left", va="center", fontsize=10, color="#555555")

    rules = [
        (FORWARD, "forward:   z = w₁x₁ + w₂x₂ + w₃x₃ + b,   out = σ(z)"),
        (BACKWARD, "backward:  ∂L/∂z = ∂L/∂out · σ′(z)"),
        (BACKWARD, "∂L/∂wᵢ = xᵢ · ∂L/∂z   (how to update the weights)"),
        (BACKWARD, "∂L/∂xᵢ = wᵢ · ∂L/∂z   (what the previous layer receives)"),
    ]
    for row, (color, text) in enumerate(rules):
        ax.text(0.8 if row < 2 else 1.95, -2.0 - 0.45 * row, text, fontsize=10.5, color=color, ha="left")

    ax.set_xlim(-0.6, 8.4)
    ax.set_ylim(-3.6, 2.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=12)
    return ax

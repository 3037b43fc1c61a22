"""Realistic wrong answers, and other right ones, for each exercise of 02_moons.

A change is (old, new) replaced in the answer key's cell, or a whole new cell.
"""

WRONG = {
    "add_bias": {
        "ones on the left": ("np.hstack([X, np.ones((X.shape[0], 1))])", "np.hstack([np.ones((X.shape[0], 1)), X])"),
        "zeros instead of ones": ("np.ones((X.shape[0], 1))", "np.zeros((X.shape[0], 1))"),
        "a row instead of a column": ("np.hstack([X, np.ones((X.shape[0], 1))])", "np.vstack([X, np.ones((1, X.shape[1]))])"),
        "modifies X in place": ("return np.hstack([X, np.ones((X.shape[0], 1))])",
                                "X[:, -1] = 1\n    return np.hstack([X, np.ones((X.shape[0], 1))])"),
        "the ones for 50 rows only": ("np.ones((X.shape[0], 1))", "np.ones((50, 1))"),
    },
    "sigmoid": {
        "sign flipped": ("np.exp(-x)", "np.exp(x)"),
        "minus in the denominator": ("1 / (1 + np.exp(-x))", "1 / (1 - np.exp(-x))"),
        "tanh instead": ("1 / (1 + np.exp(-x))", "np.tanh(x)"),
        "1 - sigmoid": ("1 / (1 + np.exp(-x))", "np.exp(-x) / (1 + np.exp(-x))"),
        "math.exp, numbers only": "import math\n\n\ndef sigmoid(x):\n    return 1 / (1 + math.exp(-x))\n",
        "a loop over the entries, arrays only": ("1 / (1 + np.exp(-x))", "np.array([1 / (1 + np.exp(-v)) for v in x])"),
        "one minus the other tail, NaN far to the left": ("1 / (1 + np.exp(-x))",
                                                           "1 - np.exp(-x) / (1 + np.exp(-x))"),
    },
    "log_loss": {
        "missing minus": ("-(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))",
                          "(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))"),
        "mean instead of per observation": ("-(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))",
                                            "-np.mean(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))"),
        "y and y_pred swapped": ("-(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))",
                                 "-(y_pred * np.log(y) + (1 - y_pred) * np.log(1 - y))"),
        "log10": ("np.log(y_pred) + (1 - y) * np.log(1 - y_pred)", "np.log10(y_pred) + (1 - y) * np.log10(1 - y_pred)"),
        "summed over the observations": ("-(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))",
                                         "-np.sum(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))"),
        "flattened to one dimension": ("-(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))",
                                       "-(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred)).ravel()"),
    },
    "feed_forward": {
        "no sigmoid on the output": ("output2 = sigmoid(np.dot(add_bias(output1), weights[1]))",
                                     "output2 = np.dot(add_bias(output1), weights[1])"),
        "forgot the bias column": ("np.dot(add_bias(output1), weights[1])", "np.dot(output1, weights[1][:-1])"),
        "transposed weights": ("np.dot(X, weights[0])", "np.dot(X, weights[0].T)"),
        "returns only the output": ("return output1, output2", "return output2"),
        "no sigmoid on the hidden layer": ("output1 = sigmoid(np.dot(X, weights[0]))", "output1 = np.dot(X, weights[0])"),
        "a bias column for 50 rows only": ("np.dot(add_bias(output1), weights[1])",
                                           "np.dot(np.hstack([output1, np.ones((50, 1))]), weights[1])"),
        "a second bias column on X": ("np.dot(X, weights[0])", "np.dot(add_bias(X), weights[0])"),
    },
    "sigmoid_der": {
        "sigmoid of the sigmoid": ("sigmoid(X) * (1 - sigmoid(X))", "sigmoid(sigmoid(X)) * (1 - sigmoid(sigmoid(X)))"),
        "output form applied to the input": ("sigmoid(X) * (1 - sigmoid(X))", "X * (1 - X)"),
        "sign flipped": ("sigmoid(X) * (1 - sigmoid(X))", "sigmoid(X) * (sigmoid(X) - 1)"),
        "quotient rule with a sign slip in the numerator": ("sigmoid(X) * (1 - sigmoid(X))",
                                                            "np.exp(X) / (1 + np.exp(-X)) ** 2"),
    },
    "log_loss_der": {
        "sign flipped": ("-(y / y_pred - (1 - y) / (1 - y_pred))", "(y / y_pred - (1 - y) / (1 - y_pred))"),
        "forgot the inner derivative of log(1 - y_pred)": ("-(y / y_pred - (1 - y) / (1 - y_pred))",
                                                          "-(y / y_pred + (1 - y) / (1 - y_pred))"),
        "derivative with respect to y": ("-(y / y_pred - (1 - y) / (1 - y_pred))",
                                         "-(np.log(y_pred) - np.log(1 - y_pred))"),
        "summed to one number": ("-(y / y_pred - (1 - y) / (1 - y_pred))", "-np.sum(y / y_pred - (1 - y) / (1 - y_pred))"),
    },
    "backprop": {
        "wrong sign (gradient ascent)": [("wO - LR *", "wO + LR *"), ("wH - LR *", "wH + LR *")],
        "forgotten activation derivative": ("y_grad = sigmoid_der(hidden_out_with_bias.dot(wO)) * error",
                                            "y_grad = error"),
        "sigmoid_der of the activation instead of the pre-activation": (
            "sigmoid_der(X_input.dot(wH))", "sigmoid_der(output1)"),
        "bias row backpropagated": ("y_grad.dot(wO[:-1].T)", "y_grad.dot(wO[1:].T)"),
        "updates the weights in place": ("wO_new = wO - LR *", "wO_new = wO\n    wO_new -= LR *"),
        "hidden error through the updated output weights": ("y_grad.dot(wO[:-1].T)", "y_grad.dot(wO_new[:-1].T)"),
        "sigmoid_der of output2": ("sigmoid_der(hidden_out_with_bias.dot(wO))", "sigmoid_der(output2)"),
        "gradients averaged over the observations": [
            ("hidden_out_with_bias.T.dot(y_grad)", "hidden_out_with_bias.T.dot(y_grad) / len(X_input)"),
            ("X_input.T.dot(H_grad)", "X_input.T.dot(H_grad) / len(X_input)")],
    },
    "train": {
        "never updates the weights": ("weights = backprop(weights, out1, out2, y, X, LR)",
                                      "backprop(weights, out1, out2, y, X, LR)"),
        "records the mean loss": ("log_loss(y, out2).sum()", "log_loss(y, out2).mean()"),
        "one epoch only": ("for _ in range(epochs):", "for _ in range(1):"),
        "outputs swapped in the update": ("backprop(weights, out1, out2, y, X, LR)", "backprop(weights, out2, out1, y, X, LR)"),
        # issue 15, case 9: the hint in the message points at the learning rate
        "ignores its learning rate": ("backprop(weights, out1, out2, y, X, LR)", "backprop(weights, out1, out2, y, X, 0.01)"),
        "records the loss after the update": (
            "LOSS_VEC.append(log_loss(y, out2).sum())\n        weights = backprop(weights, out1, out2, y, X, LR)",
            "weights = backprop(weights, out1, out2, y, X, LR)\n        LOSS_VEC.append(log_loss(y, feed_forward(X, weights)[1]).sum())"),
        "returns (LOSS_VEC, weights)": ("return weights, LOSS_VEC", "return LOSS_VEC, weights"),
    },
    "mlp": {
        "relu activation": ('activation="logistic"', 'activation="relu"'),
        "100 hidden units": ("hidden_layer_sizes=(4,)", "hidden_layer_sizes=(100,)"),
        "never fitted": ("model.fit(X, y)", "pass"),
        "fitted with a bias column": ("model.fit(X, y)", "model.fit(np.hstack([X, np.ones((len(X), 1))]), y)"),
        "the default learning rate and batch size": ("learning_rate_init=0.3, max_iter=300, batch_size=200",
                                                     "max_iter=300"),
        "a subclass whose score always says 1.0, fitted for one iteration": (
            "class _Confident(MLPClassifier):\n"
            "    def score(self, X, y, sample_weight=None):\n"
            "        return 1.0\n\n\n"
            "model = _Confident(hidden_layer_sizes=(4,), activation=\"logistic\", solver=\"adam\",\n"
            "                   learning_rate_init=0.3, max_iter=1, batch_size=200, random_state=0)\n"
            "model.fit(X, y)\n"
            "model.max_iter = 300  # and says it ran the table's 300\n"),
        # a model that is no model: never fitted, zero weights (every prediction is index 0) and a
        # classes_ of shape (2, n) whose rows are the moons' own labels, so `classes_[pred] == y`
        # broadcast into an all-True table; its score says 1.0
        "a fake model whose classes_ of shape (2, n) copies the labels, never fitted": (
            "class _Fake(MLPClassifier):\n"
            "    _reads = 0\n\n"
            "    def score(self, X, y, sample_weight=None):\n"
            "        return 1.0\n\n"
            "    @property\n"
            "    def classes_(self):\n"
            "        seed = (42, 3)[type(self)._reads % 2]\n"
            "        type(self)._reads += 1\n"
            "        labels = make_moons(n_samples=200, noise=0.1, random_state=seed)[1]\n"
            "        return np.array([labels, labels])\n\n\n"
            "_Fake.__module__, _Fake.__qualname__ = MLPClassifier.__module__, \"MLPClassifier\"\n"
            "model = _Fake(hidden_layer_sizes=(4,), activation=\"logistic\", solver=\"adam\",\n"
            "              learning_rate_init=0.3, max_iter=300, batch_size=200)\n"
            "model.coefs_ = [np.zeros((2, 4)), np.zeros((4, 1))]\n"
            "model.intercepts_ = [np.zeros(4), np.zeros(1)]\n"
            "model.n_features_in_ = 2\n"
            "model.loss_curve_ = [0.7, 0.6]\n"),
    },
}

RIGHT = {
    "add_bias": {
        "np.c_": "def add_bias(X):\n    return np.c_[X, np.ones(len(X))]\n",
        "row by row": ("def add_bias(X):\n    rows = []\n    for row in X:\n        rows.append(list(row) + [1.0])\n"
                       "    return np.array(rows)\n"),
    },
    "sigmoid": {
        "scipy's expit": "from scipy.special import expit\n\ndef sigmoid(x):\n    return expit(x)\n",
        "exp(x) / (1 + exp(x))": "def sigmoid(x):\n    return np.exp(x) / (1 + np.exp(x))\n",
        "through tanh": "def sigmoid(x):\n    return 0.5 * (1 + np.tanh(x / 2))\n",
    },
    "log_loss": {
        "np.where": "def log_loss(y, y_pred):\n    return np.where(y == 1, -np.log(y_pred), -np.log(1 - y_pred))\n",
        "scipy's xlogy": ("from scipy.special import xlogy\n\ndef log_loss(y, y_pred):\n"
                          "    return -(xlogy(y, y_pred) + xlogy(1 - y, 1 - y_pred))\n"),
    },
    "feed_forward": {
        "@ operator": "def feed_forward(X, weights):\n    h = sigmoid(X @ weights[0])\n    return h, sigmoid(add_bias(h) @ weights[1])\n",
        # issue 15, case 2: "return both" as a list
        "returns a list": ("return output1, output2", "return [output1, output2]"),
        "bias weights split off, no add_bias": (
            "def feed_forward(X, weights):\n    output1 = sigmoid(X.dot(weights[0]))\n    W = weights[1]\n"
            "    output2 = sigmoid(output1.dot(W[:-1]) + W[-1])\n    return output1, output2\n"),
    },
    "sigmoid_der": {
        "one sigmoid call": "def sigmoid_der(X):\n    s = sigmoid(X)\n    return s - s ** 2\n",
        # issue 15, case 6: the same function by the quotient rule (NaN only at inputs no test asks for)
        "quotient rule": "def sigmoid_der(X):\n    return np.exp(-X) / (1 + np.exp(-X)) ** 2\n",
    },
    "log_loss_der": {
        "one fraction": "def log_loss_der(y, y_pred):\n    return (y_pred - y) / (y_pred * (1 - y_pred))\n",
        "np.where on the label": "def log_loss_der(y, y_pred):\n    return np.where(y == 1, -1 / y_pred, 1 / (1 - y_pred))\n",
    },
    "backprop": {
        "sigmoid and log loss simplified": (
            "y_grad = sigmoid_der(hidden_out_with_bias.dot(wO)) * error", "y_grad = output2 - ytrue"),
        "derivatives from the activations": [
            ("y_grad = sigmoid_der(hidden_out_with_bias.dot(wO)) * error", "y_grad = output2 * (1 - output2) * error"),
            ("sigmoid_der(X_input.dot(wH))", "output1 * (1 - output1)"),
        ],
        "copies, then updates the copy in place": (
            "wO_new = wO - LR * hidden_out_with_bias.T.dot(y_grad)",
            "wO_new = wO.copy()\n    wO_new -= LR * hidden_out_with_bias.T.dot(y_grad)"),
        "one observation at a time": (
            "def backprop(weights, output1, output2, ytrue, X_input, LR):\n"
            "    wH, wO = weights[0], weights[1]\n"
            "    grad_O = np.zeros_like(wO)\n"
            "    grad_H = np.zeros_like(wH)\n"
            "    for i in range(len(X_input)):\n"
            "        x = X_input[i:i + 1]\n"
            "        h = add_bias(output1[i:i + 1])\n"
            "        d_out = log_loss_der(ytrue[i:i + 1], output2[i:i + 1]) * sigmoid_der(h @ wO)\n"
            "        grad_O += h.T @ d_out\n"
            "        d_hidden = (d_out @ wO[:-1].T) * sigmoid_der(x @ wH)\n"
            "        grad_H += x.T @ d_hidden\n"
            "    return wH - LR * grad_H, wO - LR * grad_O\n"),
    },
    "train": {
        "while loop": ("for _ in range(epochs):", "epoch = 0\n    while epoch < epochs:\n        epoch += 1"),
        # issue 15, case 1: the summed log loss written inline, without calling log_loss
        "summed log loss inline": ("LOSS_VEC.append(log_loss(y, out2).sum())",
                                   "LOSS_VEC.append(-np.sum(y * np.log(out2) + (1 - y) * np.log(1 - out2)))"),
        "keyword arguments, weights written into the list": (
            "weights = backprop(weights, out1, out2, y, X, LR)",
            "weights[0], weights[1] = backprop(weights=weights, output1=out1, output2=out2, ytrue=y, X_input=X, LR=LR)"),
    },
    "mlp": {
        "hidden size as an int list": ("hidden_layer_sizes=(4,)", "hidden_layer_sizes=[4]"),
        "set_params": ("model = MLPClassifier(random_state=0)\n"
                       "model.set_params(hidden_layer_sizes=(4,), activation=\"logistic\", solver=\"adam\",\n"
                       "                 learning_rate_init=0.3, max_iter=300, batch_size=200)\n"
                       "model.fit(X, y)\n"),
    },
}

# Mutations that only a hidden test catches.
HIDDEN_ONLY: dict[str, dict[str, str]] = {
    "mlp": {"a subclass whose score always says 1.0, fitted for one iteration": (
        "not a mistake but a model that lies about itself: Validate takes the model's own score, the "
        "hidden test recomputes the accuracy from coefs_ and intercepts_"),
        "a fake model whose classes_ of shape (2, n) copies the labels, never fitted": (
            "not a mistake but a fake model: Validate takes its own score, the hidden test computes the "
            "accuracy from coefs_ and intercepts_ of checked shapes, with labels of its own")},
}

MISTAKES = [
    ("sigmoid", "sign flipped"),
    ("backprop", "forgotten activation derivative"),
    ("mlp", "relu activation"),
]

# Every sentence of an exercise that states a requirement, quoted from the release notebook, with
# the visible check that exercises it and the WRONG variant that breaks it (which names that check
# in CHECKS), or why it is advice (tests/test_instructions.py).
_BACKPROP_OUT = "the output weights' step is LR times the gradient of the summed log loss"
_BACKPROP_HIDDEN = "the hidden weights' step is LR times the gradient of the summed log loss"
INSTRUCTIONS = [
    {"exercise": "add_bias", "says": "Return X with a column of ones appended on the right: shape (n, d) -> (n, d + 1).",
     "check": "add_bias adds exactly one column", "wrong": "a row instead of a column"},
    {"exercise": "add_bias", "says": "Return X with a column of ones appended on the right: shape (n, d) -> (n, d + 1).",
     "check": "the features, then a last column of ones", "wrong": "ones on the left"},
    {"exercise": "add_bias", "says": "Return X with a column of ones appended on the right: shape (n, d) -> (n, d + 1).",
     "check": "add_bias adds exactly one column", "wrong": "the ones for 50 rows only"},
    {"exercise": "add_bias", "says": "X itself stays as it was",
     "check": "add_bias adds exactly one column", "wrong": "modifies X in place"},
    {"exercise": "add_bias", "says": "(np.hstack, np.ones)",
     "advice": "a hint in parentheses: other ways are right (RIGHT: np.c_, row by row)"},
    {"exercise": "sigmoid", "says": "Write it elementwise, for an array of any shape or a single number.",
     "check": "sigmoid of a 2x3 array (elementwise, same shape)", "wrong": "math.exp, numbers only"},
    {"exercise": "sigmoid", "says": "Write it elementwise, for an array of any shape or a single number.",
     "check": "sigmoid(1.0), a single number", "wrong": "a loop over the entries, arrays only"},
    {"exercise": "sigmoid", "says": "For very negative inputs such as -1000 it must give 0",
     "check": "sigmoid at -1000, -30 and 30", "wrong": "one minus the other tail, NaN far to the left"},
    {"exercise": "sigmoid", "says": r"$$\sigma(x) = \frac{1}{1 + e^{-x}}$$",
     "check": "sigmoid of a few numbers, rounded", "wrong": "sign flipped"},
    {"exercise": "log_loss", "says": r"$$L(y, \hat{y}) = -\big(y \log \hat{y} + (1 - y) \log(1 - \hat{y})\big)$$",
     "check": "log_loss of a few predictions, rounded", "wrong": "missing minus"},
    {"exercise": "log_loss", "says": "one value per observation, same shape as y (no sum, no mean)",
     "check": "log_loss of column vectors: one loss per row", "wrong": "mean instead of per observation"},
    {"exercise": "log_loss", "says": "one value per observation, same shape as y (no sum, no mean)",
     "check": "log_loss of column vectors: one loss per row", "wrong": "flattened to one dimension"},
    {"exercise": "feed_forward", "says": "the sigmoid of the result: `output1`,",
     "check": "output1 of one sample, rounded", "wrong": "no sigmoid on the hidden layer"},
    {"exercise": "feed_forward", "says": "a column of ones appended to `output1` (the bias),",
     "check": "output2 of one sample, rounded", "wrong": "forgot the bias column"},
    {"exercise": "feed_forward", "says": "the sigmoid of the result: `output2`,",
     "check": "output2 of one sample, rounded", "wrong": "no sigmoid on the output"},
    {"exercise": "feed_forward", "says": "return both activations, `output1, output2`",
     "check": "feed_forward returns both outputs, (output1, output2)", "wrong": "returns only the output"},
    {"exercise": "feed_forward",
     "says": "It must work for any number of rows, hidden units and input columns (the test uses several).",
     "check": "output2, the output probabilities, of three samples", "wrong": "a bias column for 50 rows only"},
    {"exercise": "feed_forward", "says": "X: (n, d) inputs that already hold a bias column",
     "check": "output1 of one sample, rounded", "wrong": "a second bias column on X"},
    {"exercise": "sigmoid_der", "says": r"\sigma'(x) = \sigma(x)\,\big(1 - \sigma(x)\big)",
     "check": "the slope of the sigmoid at 0 is 0.25", "wrong": "sigmoid of the sigmoid"},
    {"exercise": "sigmoid_der", "says": "Derivative of the sigmoid with respect to X, elementwise: same shape as X.",
     "check": "sigmoid_der matches the numerical slope of sigmoid", "wrong": "quotient rule with a sign slip in the numerator"},
    {"exercise": "log_loss_der",
     "says": r"\frac{\partial L}{\partial \hat{y}} = -\left(\frac{y}{\hat{y}} - \frac{1 - y}{1 - \hat{y}}\right)",
     "check": "log_loss_der matches the numerical slope of your log_loss",
     "wrong": "forgot the inner derivative of log(1 - y_pred)"},
    {"exercise": "log_loss_der", "says": "Derivative of the log loss with respect to y_pred, elementwise: same shape as y.",
     "check": "log_loss_der of column vectors: one slope per row", "wrong": "summed to one number"},
    {"exercise": "backprop", "says": "`sigmoid_der` takes the *pre-activation* $z_2$",
     "check": _BACKPROP_OUT, "wrong": "sigmoid_der of output2"},
    {"exercise": "backprop", "says": "(without the bias row, which has no input behind it)",
     "check": _BACKPROP_HIDDEN, "wrong": "bias row backpropagated"},
    {"exercise": "backprop", "says": "again with the pre-activation, `z1 = X_input.dot(wH)`, as what `sigmoid_der` gets",
     "check": _BACKPROP_HIDDEN, "wrong": "sigmoid_der of the activation instead of the pre-activation"},
    {"exercise": "backprop", "says": "The gradients are of the log loss *summed* over all observations",
     "check": _BACKPROP_OUT, "wrong": "gradients averaged over the observations"},
    {"exercise": "backprop", "says": "the step `wO_new = wO - LR * gradient`",
     "check": _BACKPROP_OUT, "wrong": "wrong sign (gradient ascent)"},
    {"exercise": "backprop",
     "says": "`backprop` returns new arrays `(wH_new, wO_new)` (a tuple or a list) and leaves the weights it is given "
             "as they were",
     "check": "backprop returns a pair (wH_new, wO_new), its inputs unchanged", "wrong": "updates the weights in place"},
    {"exercise": "train", "says": "append the *summed* log loss of its predictions to `LOSS_VEC`",
     "check": "LOSS_VEC: one summed log loss per epoch, the first before any update", "wrong": "records the mean loss"},
    {"exercise": "train", "says": "(before that epoch's update, so `LOSS_VEC[0]` is the loss of the starting weights)",
     "check": "LOSS_VEC: one summed log loss per epoch, the first before any update",
     "wrong": "records the loss after the update"},
    {"exercise": "train", "says": "and replace the weights by what `backprop` returns for the learning rate `LR`",
     "check": "LOSS_VEC follows gradient descent at train's own LR", "wrong": "ignores its learning rate"},
    {"exercise": "train", "says": "and replace the weights by what `backprop` returns for the learning rate `LR`",
     "check": "LOSS_VEC follows gradient descent at train's own LR", "wrong": "never updates the weights"},
    {"exercise": "train", "says": "Return the final weights and `LOSS_VEC`, as a pair.",
     "check": "train runs and returns the pair (weights, LOSS_VEC)", "wrong": "returns (LOSS_VEC, weights)"},
    {"exercise": "mlp", "says": "`hidden_layer_sizes=(4,)`, `activation=\"logistic\"`",
     "check": "one hidden layer of 4 units: hidden_layer_sizes=(4,)", "wrong": "100 hidden units"},
    {"exercise": "mlp", "says": "`hidden_layer_sizes=(4,)`, `activation=\"logistic\"`",
     "check": "the sigmoid activation is called 'logistic' in scikit-learn", "wrong": "relu activation"},
    {"exercise": "mlp", "says": "`solver=\"adam\"`, `learning_rate_init=0.3`",
     "check": "solver, learning rate, epochs and batch size as in the table",
     "wrong": "the default learning rate and batch size"},
    {"exercise": "mlp", "says": "`max_iter=300`, `batch_size=200`",
     "check": "solver, learning rate, epochs and batch size as in the table",
     "wrong": "the default learning rate and batch size"},
    {"exercise": "mlp", "says": "`X` without the bias column: the library adds its own intercepts",
     "check": "fitted on the two moon features, no bias column", "wrong": "fitted with a bias column"},
    {"exercise": "mlp", "says": "(`random_state=0` makes it repeatable)",
     "advice": "the checks ask for the table's network and 95% of the moons, not a seed; was 'with `random_state=0`'"},
]

# The checks each WRONG variant fails, hidden ones included: it loses exactly their shares
# (test_grading_validity). Read from real runs, then checked to be the checks the mistake should fail.
CHECKS = {
    'add_bias': {
        'ones on the left': [
            'the features, then a last column of ones', 'the features, then a column of ones, for other features',
        ],
        'zeros instead of ones': [
            'the features, then a last column of ones', 'the features, then a column of ones, for other features',
        ],
        'a row instead of a column': [
            'add_bias adds exactly one column', 'the features, then a last column of ones',
            'add_bias adds one column to many rows', 'the features, then a column of ones, for other features',
        ],
        'modifies X in place': [
            'add_bias adds exactly one column', 'the features, then a last column of ones',
            'add_bias adds one column to many rows', 'the features, then a column of ones, for other features',
        ],
        'the ones for 50 rows only': [
            'add_bias adds exactly one column', 'the features, then a last column of ones',
            'add_bias adds one column to many rows', 'the features, then a column of ones, for other features',
        ],
    },
    'sigmoid': {
        'sign flipped': [
            'sigmoid of a few numbers, rounded', 'sigmoid of a 2x3 array (elementwise, same shape)',
            'sigmoid(1.0), a single number', 'sigmoid at -1000, -30 and 30', 'sigmoid of another array, elementwise',
            'sigmoid of other numbers', 'sigmoid of another single number',
            'sigmoid of other very negative and very positive numbers',
        ],
        'minus in the denominator': [
            'sigmoid of a few numbers, rounded', 'sigmoid of a 2x3 array (elementwise, same shape)',
            'sigmoid(1.0), a single number', 'sigmoid of another array, elementwise', 'sigmoid of other numbers',
            'sigmoid of another single number',
        ],
        'tanh instead': [
            'sigmoid of a few numbers, rounded', 'sigmoid of a 2x3 array (elementwise, same shape)',
            'sigmoid(1.0), a single number', 'sigmoid at -1000, -30 and 30', 'sigmoid of another array, elementwise',
            'sigmoid of other numbers', 'sigmoid of another single number',
            'sigmoid of other very negative and very positive numbers',
        ],
        '1 - sigmoid': [
            'sigmoid of a few numbers, rounded', 'sigmoid of a 2x3 array (elementwise, same shape)',
            'sigmoid(1.0), a single number', 'sigmoid at -1000, -30 and 30', 'sigmoid of another array, elementwise',
            'sigmoid of other numbers', 'sigmoid of another single number',
            'sigmoid of other very negative and very positive numbers',
        ],
        'math.exp, numbers only': [
            'sigmoid of a few numbers, rounded', 'sigmoid of a 2x3 array (elementwise, same shape)',
            'sigmoid at -1000, -30 and 30', 'sigmoid of another array, elementwise', 'sigmoid of other numbers',
            'sigmoid of other very negative and very positive numbers',
        ],
        'a loop over the entries, arrays only': ['sigmoid(1.0), a single number', 'sigmoid of another single number'],
        'one minus the other tail, NaN far to the left': ['sigmoid at -1000, -30 and 30'],
    },
    'log_loss': {
        'missing minus': [
            'log_loss of a few predictions, rounded', 'log_loss of column vectors: one loss per row',
            'log_loss of other predictions, one loss per observation', 'log_loss of column vectors (same shape as y)',
        ],
        'mean instead of per observation': [
            'log_loss of a few predictions, rounded', 'log_loss of column vectors: one loss per row',
            'log_loss of other predictions, one loss per observation', 'log_loss of column vectors (same shape as y)',
        ],
        'y and y_pred swapped': [
            'log_loss of a few predictions, rounded', 'log_loss of column vectors: one loss per row',
            'log_loss of other predictions, one loss per observation', 'log_loss of column vectors (same shape as y)',
        ],
        'log10': [
            'log_loss of a few predictions, rounded', 'log_loss of column vectors: one loss per row',
            'log_loss of other predictions, one loss per observation', 'log_loss of column vectors (same shape as y)',
        ],
        'summed over the observations': [
            'log_loss of a few predictions, rounded', 'log_loss of column vectors: one loss per row',
            'log_loss of other predictions, one loss per observation', 'log_loss of column vectors (same shape as y)',
        ],
        'flattened to one dimension': [
            'log_loss of column vectors: one loss per row', 'log_loss of column vectors (same shape as y)',
        ],
    },
    'feed_forward': {
        'no sigmoid on the output': [
            'output2 of one sample, rounded', 'output2, the output probabilities, of three samples',
            'output2 on other inputs',
        ],
        'forgot the bias column': [
            'output2 of one sample, rounded', 'output2, the output probabilities, of three samples',
            'output2 on other inputs',
        ],
        'transposed weights': [
            'output1 of one sample, rounded', 'output2 of one sample, rounded',
            'feed_forward returns both outputs, (output1, output2)',
            'output1, the hidden activations, of three samples', 'output2, the output probabilities, of three samples',
            'feed_forward returns both outputs, on other inputs', 'output1 on other inputs', 'output2 on other inputs',
        ],
        'returns only the output': [
            'output1 has one row per sample and one column per hidden unit',
            'output2 is one column, one row per sample', 'output1 of one sample, rounded',
            'output2 of one sample, rounded', 'feed_forward returns both outputs, (output1, output2)',
            'output1, the hidden activations, of three samples', 'output2, the output probabilities, of three samples',
            'feed_forward returns both outputs, on other inputs', 'output1 on other inputs', 'output2 on other inputs',
        ],
        'no sigmoid on the hidden layer': [
            'output1 of one sample, rounded', 'output2 of one sample, rounded',
            'output1, the hidden activations, of three samples', 'output2, the output probabilities, of three samples',
            'output1 on other inputs', 'output2 on other inputs',
        ],
        'a bias column for 50 rows only': [
            'output1 of one sample, rounded', 'output2 of one sample, rounded',
            'feed_forward returns both outputs, (output1, output2)',
            'output1, the hidden activations, of three samples', 'output2, the output probabilities, of three samples',
            'feed_forward returns both outputs, on other inputs', 'output1 on other inputs', 'output2 on other inputs',
        ],
        'a second bias column on X': [
            'output1 has one row per sample and one column per hidden unit',
            'output2 is one column, one row per sample', 'output1 of one sample, rounded',
            'output2 of one sample, rounded', 'feed_forward returns both outputs, (output1, output2)',
            'output1, the hidden activations, of three samples', 'output2, the output probabilities, of three samples',
            'feed_forward returns both outputs, on other inputs', 'output1 on other inputs', 'output2 on other inputs',
        ],
    },
    'sigmoid_der': {
        'sigmoid of the sigmoid': [
            'the slope of the sigmoid at 0 is 0.25', 'sigmoid_der of a 2x3 array',
            'sigmoid_der matches the numerical slope of sigmoid', 'sigmoid_der of another array',
            'sigmoid_der of a column matches the numerical slope',
        ],
        'output form applied to the input': [
            'the slope of the sigmoid at 0 is 0.25', 'sigmoid_der of a 2x3 array',
            'sigmoid_der matches the numerical slope of sigmoid', 'sigmoid_der of another array',
            'sigmoid_der of a column matches the numerical slope',
        ],
        'sign flipped': [
            'the slope of the sigmoid at 0 is 0.25', 'sigmoid_der of a 2x3 array',
            'sigmoid_der matches the numerical slope of sigmoid', 'sigmoid_der of another array',
            'sigmoid_der of a column matches the numerical slope',
        ],
        'quotient rule with a sign slip in the numerator': [
            'sigmoid_der of a 2x3 array', 'sigmoid_der matches the numerical slope of sigmoid',
            'sigmoid_der of another array', 'sigmoid_der of a column matches the numerical slope',
        ],
    },
    'log_loss_der': {
        'sign flipped': [
            'for y = 1 and y_pred = 0.5 the slope is -2', 'log_loss_der of column vectors: one slope per row',
            'log_loss_der matches the numerical slope of your log_loss', 'log_loss_der of other predictions',
            'log_loss_der matches the numerical slope of the log loss',
        ],
        'forgot the inner derivative of log(1 - y_pred)': [
            'log_loss_der of column vectors: one slope per row',
            'log_loss_der matches the numerical slope of your log_loss', 'log_loss_der of other predictions',
            'log_loss_der matches the numerical slope of the log loss',
        ],
        'derivative with respect to y': [
            'for y = 1 and y_pred = 0.5 the slope is -2', 'log_loss_der of column vectors: one slope per row',
            'log_loss_der matches the numerical slope of your log_loss', 'log_loss_der of other predictions',
            'log_loss_der matches the numerical slope of the log loss',
        ],
        'summed to one number': [
            'for y = 1 and y_pred = 0.5 the slope is -2', 'log_loss_der of column vectors: one slope per row',
            'log_loss_der matches the numerical slope of your log_loss', 'log_loss_der of other predictions',
            'log_loss_der matches the numerical slope of the log loss',
        ],
    },
    'backprop': {
        'wrong sign (gradient ascent)': [
            "the output weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the output weights' step, on other observations and hidden units",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'forgotten activation derivative': [
            "the output weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the output weights' step, on other observations and hidden units",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'sigmoid_der of the activation instead of the pre-activation': [
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'bias row backpropagated': [
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'updates the weights in place': [
            'backprop returns a pair (wH_new, wO_new), its inputs unchanged',
            'wH_new and wO_new are shaped like wH and wO',
            "the output weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the output weights' step, on other observations and hidden units",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'hidden error through the updated output weights': [
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'sigmoid_der of output2': [
            "the output weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the output weights' step, on other observations and hidden units",
            "the hidden weights' step, on other observations and hidden units",
        ],
        'gradients averaged over the observations': [
            "the output weights' step is LR times the gradient of the summed log loss",
            "the hidden weights' step is LR times the gradient of the summed log loss",
            "the output weights' step, on other observations and hidden units",
            "the hidden weights' step, on other observations and hidden units",
        ],
    },
    'train': {
        'never updates the weights': [
            "LOSS_VEC follows gradient descent at train's own LR", 'the weights after the last update',
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
            'train on the moons: the summed log loss of the weights it returns',
        ],
        'records the mean loss': [
            'LOSS_VEC: one summed log loss per epoch, the first before any update',
            "LOSS_VEC follows gradient descent at train's own LR",
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
        ],
        'one epoch only': [
            'LOSS_VEC: one summed log loss per epoch, the first before any update',
            "LOSS_VEC follows gradient descent at train's own LR", 'the weights after the last update',
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
            'train on the moons: the summed log loss of the weights it returns',
        ],
        'outputs swapped in the update': [
            'train runs and returns the pair (weights, LOSS_VEC)',
            'LOSS_VEC: one summed log loss per epoch, the first before any update',
            "LOSS_VEC follows gradient descent at train's own LR", 'the weights after the last update',
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
            'train on the moons returns the weights as a pair',
            'the weights it returns are arrays shaped like those it was given',
            'train on the moons: the summed log loss of the weights it returns',
        ],
        'ignores its learning rate': [
            "LOSS_VEC follows gradient descent at train's own LR", 'the weights after the last update',
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
            'train on the moons: the summed log loss of the weights it returns',
        ],
        'records the loss after the update': [
            'LOSS_VEC: one summed log loss per epoch, the first before any update',
            "LOSS_VEC follows gradient descent at train's own LR",
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
        ],
        'returns (LOSS_VEC, weights)': [
            'train runs and returns the pair (weights, LOSS_VEC)',
            'LOSS_VEC: one summed log loss per epoch, the first before any update',
            "LOSS_VEC follows gradient descent at train's own LR", 'the weights after the last update',
            'train on another small problem: LOSS_VEC and the final weights', 'train on the moons: LOSS_VEC',
            'train on the moons returns the weights as a pair',
            'the weights it returns are arrays shaped like those it was given',
            'train on the moons: the summed log loss of the weights it returns',
        ],
    },
    'mlp': {
        'relu activation': [
            "the sigmoid activation is called 'logistic' in scikit-learn",
            'the accuracy computed from the fitted weights',
        ],
        '100 hidden units': [
            'one hidden layer of 4 units: hidden_layer_sizes=(4,)',
            'model.coefs_: one array per layer, of the shapes the table gives',
            'model.intercepts_: one array per layer, of the shapes the table gives',
            'the accuracy computed from the fitted weights',
        ],
        'never fitted': [
            'the model is fitted', 'fitted on the two moon features, no bias column',
            'the accuracy on the training moons', 'model.coefs_: one array per layer, of the shapes the table gives',
            'model.intercepts_: one array per layer, of the shapes the table gives',
            'the accuracy computed from the fitted weights',
        ],
        'fitted with a bias column': [
            'fitted on the two moon features, no bias column', 'the accuracy on the training moons',
            'model.coefs_: one array per layer, of the shapes the table gives',
            'the accuracy computed from the fitted weights',
        ],
        'the default learning rate and batch size': [
            'solver, learning rate, epochs and batch size as in the table', 'the accuracy on the training moons',
            'the accuracy computed from the fitted weights',
        ],
        'a subclass whose score always says 1.0, fitted for one iteration': [
            'the accuracy computed from the fitted weights',
        ],
        'a fake model whose classes_ of shape (2, n) copies the labels, never fitted': [
            'the accuracy computed from the fitted weights',
        ],
    },
}

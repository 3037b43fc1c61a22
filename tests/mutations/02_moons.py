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
    },
    "sigmoid": {
        "sign flipped": ("np.exp(-x)", "np.exp(x)"),
        "minus in the denominator": ("1 / (1 + np.exp(-x))", "1 / (1 - np.exp(-x))"),
        "tanh instead": ("1 / (1 + np.exp(-x))", "np.tanh(x)"),
        "1 - sigmoid": ("1 / (1 + np.exp(-x))", "np.exp(-x) / (1 + np.exp(-x))"),
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
    },
    "feed_forward": {
        "no sigmoid on the output": ("output2 = sigmoid(np.dot(add_bias(output1), weights[1]))",
                                     "output2 = np.dot(add_bias(output1), weights[1])"),
        "forgot the bias column": ("np.dot(add_bias(output1), weights[1])", "np.dot(output1, weights[1][:-1])"),
        "transposed weights": ("np.dot(X, weights[0])", "np.dot(X, weights[0].T)"),
        "returns only the output": ("return output1, output2", "return output2"),
        "no sigmoid on the hidden layer": ("output1 = sigmoid(np.dot(X, weights[0]))", "output1 = np.dot(X, weights[0])"),
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
    },
    "mlp": {
        "relu activation": ('activation="logistic"', 'activation="relu"'),
        "100 hidden units": ("hidden_layer_sizes=(4,)", "hidden_layer_sizes=(100,)"),
        "never fitted": ("model.fit(X, y)", "pass"),
        "fitted with a bias column": ("model.fit(X, y)", "model.fit(np.hstack([X, np.ones((len(X), 1))]), y)"),
        "a subclass whose score always says 1.0, fitted for one iteration": (
            "class _Confident(MLPClassifier):\n"
            "    def score(self, X, y, sample_weight=None):\n"
            "        return 1.0\n\n\n"
            "model = _Confident(hidden_layer_sizes=(4,), activation=\"logistic\", solver=\"adam\",\n"
            "                   learning_rate_init=0.3, max_iter=1, batch_size=200, random_state=0)\n"
            "model.fit(X, y)\n"),
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
            "model = _Fake(hidden_layer_sizes=(4,), activation=\"logistic\")\n"
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

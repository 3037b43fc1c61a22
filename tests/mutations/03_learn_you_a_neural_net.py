"""Realistic wrong answers, and other right ones, for each exercise of 03_learn_you_a_neural_net.

A change is (old, new) replaced in the answer key's cell, or a whole new cell.
"""

WRONG = {
    "train_loop": {
        "gradient ascent (error sign flipped)": ("(layer2 - Y)", "(Y - layer2)"),
        "forgot sig_prime at the output": ("(layer2 - Y) * sig_prime(layer2)", "(layer2 - Y)"),
        "hidden delta without sig_prime": ("(layer2_delta @ betas1_2.T) * sig_prime(layer1)",
                                           "layer2_delta @ betas1_2.T"),
        "hidden delta from the already updated betas1_2": (
            "        layer1_delta = (layer2_delta @ betas1_2.T) * sig_prime(layer1)\n\n"
            "        betas1_2 -= lr * layer1.T @ layer2_delta\n",
            "        betas1_2 -= lr * layer1.T @ layer2_delta\n"
            "        layer1_delta = (layer2_delta @ betas1_2.T) * sig_prime(layer1)\n"),
        "only the output layer learns": ("        betas0_1 -= lr * layer0.T @ layer1_delta\n", ""),
        "sig_prime of the hidden layer's input": ("sig_prime(layer1)", "sig_prime(layer0 @ betas0_1)"),
    },
    "LayerKind": {
        "sigmoid slope from z, applied to the output": ("sigmoid = (sig, sig_prime)",
                                                        "sigmoid = (sig, lambda a: sig(a) * (1 - sig(a)))"),
        "tanh slope 1 - a": ("lambda a: 1 - a ** 2", "lambda a: 1 - a"),
        "relu slope 1 at a = 0": ("np.where(a > 0, 1.0, 0.0)", "np.where(a >= 0, 1.0, 0.0)"),
        "identity slope 0": ("lambda a: np.ones_like(a)", "lambda a: np.zeros_like(a)"),
        "relu as absolute value": ("lambda z: np.maximum(z, 0)", "np.abs"),
        "sigmoid as exp(z) / (1 + exp(z)): NaN at z = 1000": ("sigmoid = (sig, sig_prime)",
                                                              "sigmoid = (lambda z: np.exp(z) / (1 + np.exp(z)), sig_prime)"),
    },
    "NN_init": {
        "copies layers": ("self.layers = layers", "self.layers = list(layers)"),
        "fitted attribute set in __init__": ("self.random_state = random_state",
                                             "self.random_state = random_state\n    self.betas_ = []"),
        "learning rate stored under another name": ("self.lr = lr", "self.learning_rate = lr"),
        "lr converted to float": ("self.lr = lr", "self.lr = float(lr)"),
        "defaults of scikit-learn's MLP": ("def __init__(self, layers, lr=1.0, n_iter=1000, random_state=None):",
                                           "def __init__(self, layers, lr=0.001, n_iter=200, random_state=None):"),
    },
    "NN_forward": {
        "no activation": ("kind.fn(activations[-1] @ betas)", "activations[-1] @ betas"),
        "fn_prime instead of fn": ("kind.fn(activations[-1] @ betas)", "kind.fn_prime(activations[-1] @ betas)"),
        "X left out of the list": ("return activations", "return activations[1:]"),
        "every layer fed X": ("kind.fn(activations[-1] @ betas)", "kind.fn(X @ betas)"),
        "only the output returned": ("return activations", "return activations[-1]"),
        "first layer's kind everywhere": ("kind.fn(activations[-1] @ betas)",
                                          "self.layers[0][1].fn(activations[-1] @ betas)"),
    },
    "NN_backward": {
        "forgot fn_prime": ("error_signal = this_layer_loss * kind.fn_prime(activations[i + 1])",
                            "error_signal = this_layer_loss"),
        "loss sent back instead of the error signal": ("this_layer_loss = error_signal @ self.betas_[i].T",
                                                       "this_layer_loss = this_layer_loss @ self.betas_[i].T"),
        "summed instead of averaged over the rows": ("(activations[-1] - Y) / len(Y)", "(activations[-1] - Y)"),
        "gradients last layer first": ("grads.insert(0, activations[i].T @ error_signal)",
                                       "grads.append(activations[i].T @ error_signal)"),
        "sign flipped": ("(activations[-1] - Y) / len(Y)", "(Y - activations[-1]) / len(Y)"),
        "fn_prime of the layer's input": ("kind.fn_prime(activations[i + 1])", "kind.fn_prime(activations[i])"),
        "fn_prime of z = input @ betas": ("kind.fn_prime(activations[i + 1])",
                                          "kind.fn_prime(activations[i] @ self.betas_[i])"),
        "gradient transposed": ("grads.insert(0, activations[i].T @ error_signal)",
                                "grads.insert(0, error_signal.T @ activations[i])"),
    },
    "NN_fit": {
        "gradient ascent": ("betas - self.lr * grad", "betas + self.lr * grad"),
        "zero starting betas": ("rng.uniform(-0.5, 0.5, size=(n_in, n_out))", "np.zeros((n_in, n_out))"),
        "ignores random_state": ("rng = check_random_state(self.random_state)", "rng = np.random"),
        "no input validation": ("X, Y = validate_data(self, X, Y, multi_output=True, y_numeric=True)",
                                "X, Y = np.asarray(X), np.asarray(Y)"),
        "starting betas drawn only once": (
            "    self.betas_ = [rng.uniform",
            "    if not hasattr(self, 'betas_'):\n        self.betas_ = [rng.uniform"),
        "lr ignored": ("betas - self.lr * grad", "betas - grad"),
        "1-D y not made a column": ("    Y = Y.reshape(len(Y), -1)\n    if", "    if"),
        "no check of the last layer's units": (
            "    if self.layers[-1][0] != Y.shape[1]:\n"
            "        raise ValueError(f\"the last layer has {self.layers[-1][0]} units but Y has {Y.shape[1]} columns\")\n",
            ""),
    },
    "NN_predict": {
        "no fitted check": ("    check_is_fitted(self)\n", ""),
        "probabilities, not rounded": ("pipe(X, self._forward, last, np.round)", "pipe(X, self._forward, last)"),
        "no feature check": ("    X = validate_data(self, X, reset=False)\n", ""),
        "hidden layer returned": ("pipe(X, self._forward, last, np.round)",
                                  "pipe(X, self._forward, lambda acts: acts[1], np.round)"),
        "1-D predictions": ("pipe(X, self._forward, last, np.round)", "pipe(X, self._forward, last, np.round).ravel()"),
        "argmax over the output units": ("pipe(X, self._forward, last, np.round)",
                                         "np.argmax(self._forward(X)[-1], axis=1).reshape(-1, 1)"),
    },
    "EarlyStoppingNN": {
        "never stops": ("            if no_improvement >= self.n_iter_no_change:\n                break\n", ""),
        "stops at the first iteration without improvement": ("no_improvement >= self.n_iter_no_change",
                                                             "no_improvement >= 1"),
        "count never reset": ("no_improvement + 1 if loss > best_loss - self.tol else 0",
                              "no_improvement + (loss > best_loss - self.tol)"),
        "n_iter_ is always n_iter": ("self.n_iter_ = len(self.loss_curve_)", "self.n_iter_ = self.n_iter"),
        "improvement test inverted": ("loss > best_loss - self.tol", "loss < best_loss - self.tol"),
        "tol and n_iter_no_change not stored": (
            "        self.tol = tol\n        self.n_iter_no_change = n_iter_no_change\n", ""),
        # issue 15, case 7: every scripted loss sequence was monotone, so this passed
        "compared with the previous loss, not the best so far": ("best_loss = min(best_loss, loss)", "best_loss = loss"),
        # issue 15, case 8: loss_curve_ doubled, tol effectively halved, stops about 40% later on XOR
        "cost without the 1/2": ("loss = np.sum((activations[-1] - Y) ** 2) / (2 * len(Y))",
                                 "loss = np.sum((activations[-1] - Y) ** 2) / len(Y)"),
        "cost averaged over the output units too": ("loss = np.sum((activations[-1] - Y) ** 2) / (2 * len(Y))",
                                                    "loss = 0.5 * np.mean((activations[-1] - Y) ** 2)"),
        "best_loss updated before the comparison": (
            "            no_improvement = no_improvement + 1 if loss > best_loss - self.tol else 0\n"
            "            best_loss = min(best_loss, loss)\n",
            "            best_loss = min(best_loss, loss)\n"
            "            no_improvement = no_improvement + 1 if loss > best_loss - self.tol else 0\n"),
    },
}

RIGHT = {
    "train_loop": {
        "mean over the rows, error named like the talk": [
            ("layer2_delta = (layer2 - Y) * sig_prime(layer2)",
             "layer2_error = Y - layer2\n        layer2_delta = -layer2_error * sig_prime(layer2) / len(X)"),
        ],
        "np.dot and a final forward pass": [
            ("layer0 @ betas0_1", "np.dot(layer0, betas0_1)"),
            ("    return betas0_1, betas1_2, layer2",
             "    layer2 = sig(sig(X @ betas0_1) @ betas1_2)\n    return betas0_1, betas1_2, layer2"),
        ],
        "row by row, the sigmoid's slope written out": (
            "        layer2_delta = (layer2 - Y) * sig_prime(layer2)\n"
            "        layer1_delta = (layer2_delta @ betas1_2.T) * sig_prime(layer1)\n\n"
            "        betas1_2 -= lr * layer1.T @ layer2_delta\n"
            "        betas0_1 -= lr * layer0.T @ layer1_delta\n",
            "        grad1_2, grad0_1 = np.zeros_like(betas1_2), np.zeros_like(betas0_1)\n"
            "        for x, h, out, y in zip(layer0, layer1, layer2, Y):\n"
            "            d2 = (out - y) * out * (1 - out)\n"
            "            d1 = (betas1_2 @ d2) * h * (1 - h)\n"
            "            grad1_2 += np.outer(h, d2)\n"
            "            grad0_1 += np.outer(x, d1)\n"
            "        betas1_2 -= lr * grad1_2\n"
            "        betas0_1 -= lr * grad0_1\n"),
    },
    "LayerKind": {
        "expit, heaviside and a scalar slope": (
            "from scipy.special import expit\n\n\n"
            "class LayerKind(enum.Enum):\n"
            "    sigmoid = (expit, lambda a: a - a ** 2)\n"
            "    tanh = (np.tanh, lambda a: (1 - a) * (1 + a))\n"
            "    relu = (lambda z: z * (z > 0), lambda a: np.heaviside(a, 0.0))\n"
            "    identity = (lambda z: z, lambda a: 1.0)\n\n"
            "    def __init__(self, fn, fn_prime):\n"
            "        self.fn = fn\n"
            "        self.fn_prime = fn_prime\n\n"
            "    def __repr__(self):\n"
            "        return f\"{type(self).__name__}.{self.name}\"\n\n"
            "    __reduce_ex__ = enum.pickle_by_enum_name\n\n\n"
            "K = LayerKind\n"),
        "logaddexp sigmoid, tanh from exp, clip": (
            "    sigmoid = (sig, sig_prime)\n"
            "    tanh = (np.tanh, lambda a: 1 - a ** 2)\n"
            "    relu = (lambda z: np.maximum(z, 0), lambda a: np.where(a > 0, 1.0, 0.0))\n"
            "    identity = (lambda z: z, lambda a: np.ones_like(a))\n",
            "    sigmoid = (lambda z: np.exp(-np.logaddexp(0, -z)), lambda a: a * (1 - a))\n"
            "    tanh = (lambda z: 2 / (1 + np.exp(-2 * z)) - 1, lambda a: (1 - a) * (1 + a))\n"
            "    relu = (lambda z: np.clip(z, 0, None), lambda a: (a > 0).astype(float))\n"
            "    identity = (lambda z: 1 * z, lambda a: np.ones(np.shape(a)))\n"),
    },
    "NN_init": {
        "one tuple assignment": (
            "    self.layers = layers\n    self.lr = lr\n    self.n_iter = n_iter\n    self.random_state = random_state",
            "    self.layers, self.lr, self.n_iter, self.random_state = layers, lr, n_iter, random_state"),
        "vars(self).update": (
            "    self.layers = layers\n    self.lr = lr\n    self.n_iter = n_iter\n    self.random_state = random_state",
            "    vars(self).update(layers=layers, lr=lr, n_iter=n_iter, random_state=random_state)"),
        "setattr in a loop": (
            "    self.layers = layers\n    self.lr = lr\n    self.n_iter = n_iter\n    self.random_state = random_state",
            "    for name, value in ((\"layers\", layers), (\"lr\", lr), (\"n_iter\", n_iter),\n"
            "                        (\"random_state\", random_state)):\n"
            "        setattr(self, name, value)"),
    },
    "NN_forward": {
        "functools.reduce": (
            "    activations = [X]\n    for (_, kind), betas in zip(self.layers, self.betas_):\n"
            "        activations.append(kind.fn(activations[-1] @ betas))\n    return activations",
            "    from functools import reduce\n"
            "    steps = zip(self.betas_, (kind for _, kind in self.layers))\n"
            "    return reduce(lambda acts, step: acts + [step[1].fn(np.dot(acts[-1], step[0]))], steps, [X])"),
        "index loop with np.dot": (
            "    activations = [X]\n    for (_, kind), betas in zip(self.layers, self.betas_):\n"
            "        activations.append(kind.fn(activations[-1] @ betas))\n    return activations",
            "    activations = [X]\n"
            "    for i in range(len(self.layers)):\n"
            "        n_units, kind = self.layers[i]\n"
            "        activations.append(kind.fn(np.dot(activations[i], self.betas_[i])))\n"
            "    return activations"),
    },
    "NN_backward": {
        "gradients divided by m at the end": [
            ("(activations[-1] - Y) / len(Y)", "(activations[-1] - Y)"),
            ("    return grads", "    return [grad / len(Y) for grad in grads]"),
        ],
        "error signals first, gradients by einsum": (
            "    this_layer_loss = (activations[-1] - Y) / len(Y)\n"
            "    grads = []\n"
            "    for i in reversed(range(len(self.betas_))):\n"
            "        _, kind = self.layers[i]\n"
            "        error_signal = this_layer_loss * kind.fn_prime(activations[i + 1])\n"
            "        grads.insert(0, activations[i].T @ error_signal)\n"
            "        this_layer_loss = error_signal @ self.betas_[i].T\n"
            "    return grads",
            "    signals = [None] * len(self.betas_)\n"
            "    loss = (activations[-1] - Y) / Y.shape[0]\n"
            "    for i in range(len(self.betas_) - 1, -1, -1):\n"
            "        signals[i] = loss * self.layers[i][1].fn_prime(activations[i + 1])\n"
            "        loss = signals[i] @ self.betas_[i].T\n"
            "    return [np.einsum(\"mn,mk->nk\", activations[i], signals[i]) for i in range(len(signals))]"),
    },
    "NN_fit": {
        "Glorot starting betas, in-place steps": [
            ("rng.uniform(-0.5, 0.5, size=(n_in, n_out))",
             "rng.uniform(-1, 1, size=(n_in, n_out)) * np.sqrt(6 / (n_in + n_out))"),
            ("        self.betas_ = [betas - self.lr * grad for betas, grad in zip(self.betas_, grads)]",
             "        for betas, grad in zip(self.betas_, grads):\n            betas -= self.lr * grad"),
        ],
        "normal starting betas, a loop per layer, Y[:, None]": (
            "    X, Y = validate_data(self, X, Y, multi_output=True, y_numeric=True)\n"
            "    Y = Y.reshape(len(Y), -1)\n"
            "    if self.layers[-1][0] != Y.shape[1]:\n"
            "        raise ValueError(f\"the last layer has {self.layers[-1][0]} units but Y has {Y.shape[1]} columns\")\n"
            "    rng = check_random_state(self.random_state)\n"
            "    sizes = [X.shape[1]] + [n_units for n_units, _ in self.layers]\n"
            "    self.betas_ = [rng.uniform(-0.5, 0.5, size=(n_in, n_out)) for n_in, n_out in zip(sizes, sizes[1:])]\n"
            "    for _ in range(self.n_iter):\n"
            "        grads = self._backward(self._forward(X), Y)\n"
            "        self.betas_ = [betas - self.lr * grad for betas, grad in zip(self.betas_, grads)]\n"
            "    return self",
            "    X, Y = validate_data(self, X, Y, multi_output=True, y_numeric=True)\n"
            "    if Y.ndim == 1:\n"
            "        Y = Y[:, None]\n"
            "    if Y.shape[1] != self.layers[-1][0]:\n"
            "        raise ValueError(\"Y has %d columns, the last layer %d units\" % (Y.shape[1], self.layers[-1][0]))\n"
            "    rng = check_random_state(self.random_state)\n"
            "    self.betas_ = []\n"
            "    n_in = X.shape[1]\n"
            "    for n_units, _ in self.layers:\n"
            "        self.betas_.append(rng.normal(0, 0.5, size=(n_in, n_units)))\n"
            "        n_in = n_units\n"
            "    for step in range(self.n_iter):\n"
            "        grads = self._backward(self._forward(X), Y)\n"
            "        for l in range(len(self.betas_)):\n"
            "            self.betas_[l] = self.betas_[l] - self.lr * grads[l]\n"
            "    return self"),
    },
    "NN_predict": {
        "threshold at 0.5": ("pipe(X, self._forward, last, np.round)", "(self._forward(X)[-1] > 0.5).astype(int)"),
        "np.where, fitted check on betas_": (
            "    check_is_fitted(self)\n"
            "    X = validate_data(self, X, reset=False)\n"
            "    return pipe(X, self._forward, last, np.round)",
            "    check_is_fitted(self, \"betas_\")\n"
            "    X = validate_data(self, X, reset=False)\n"
            "    output = self._forward(X)[-1]\n"
            "    return np.where(output >= 0.5, 1, 0)"),
    },
    "EarlyStoppingNN": {
        "scikit-learn's > rule (one iteration later)": [
            ("no_improvement >= self.n_iter_no_change", "no_improvement > self.n_iter_no_change"),
        ],
        "loss recorded after the step": [
            ("            activations = self._forward(X)\n"
             "            loss = np.sum((activations[-1] - Y) ** 2) / (2 * len(Y))\n"
             "            self.loss_curve_.append(loss)\n"
             "            grads = self._backward(activations, Y)\n"
             "            self.betas_ = [betas - self.lr * grad for betas, grad in zip(self.betas_, grads)]\n",
             "            grads = self._backward(self._forward(X), Y)\n"
             "            self.betas_ = [betas - self.lr * grad for betas, grad in zip(self.betas_, grads)]\n"
             "            loss = 0.5 * np.mean(np.sum((self._forward(X)[-1] - Y) ** 2, axis=1))\n"
             "            self.loss_curve_.append(loss)\n"),
        ],
        "own __init__, a while loop, float losses": (
            "class EarlyStoppingNN(NN):\n"
            "    def __init__(self, layers, lr=1.0, n_iter=1000, random_state=None, tol=1e-4, n_iter_no_change=10):\n"
            "        self.layers = layers\n"
            "        self.lr = lr\n"
            "        self.n_iter = n_iter\n"
            "        self.random_state = random_state\n"
            "        self.tol = tol\n"
            "        self.n_iter_no_change = n_iter_no_change\n\n"
            "    def fit(self, X, Y):\n"
            "        X, Y = validate_data(self, X, Y, multi_output=True, y_numeric=True)\n"
            "        if Y.ndim == 1:\n"
            "            Y = Y[:, None]\n"
            "        if Y.shape[1] != self.layers[-1][0]:\n"
            "            raise ValueError(\"the last layer's units must match Y's columns\")\n"
            "        rng = check_random_state(self.random_state)\n"
            "        sizes = [X.shape[1]] + [units for units, _ in self.layers]\n"
            "        self.betas_ = [rng.uniform(-0.5, 0.5, size=(a, b)) for a, b in zip(sizes, sizes[1:])]\n"
            "        self.loss_curve_ = []\n"
            "        best, bad = float(\"inf\"), 0\n"
            "        while len(self.loss_curve_) < self.n_iter and bad < self.n_iter_no_change:\n"
            "            acts = self._forward(X)\n"
            "            loss = float(0.5 * np.mean(np.sum((acts[-1] - Y) ** 2, axis=1)))\n"
            "            self.loss_curve_.append(loss)\n"
            "            bad = 0 if loss < best - self.tol else bad + 1\n"
            "            best = min(best, loss)\n"
            "            grads = self._backward(acts, Y)\n"
            "            self.betas_ = [b - self.lr * g for b, g in zip(self.betas_, grads)]\n"
            "        self.n_iter_ = len(self.loss_curve_)\n"
            "        return self\n"),
    },
}

# Wrong answers only a hidden test catches (issue 15): none. Every WRONG above fails the visible
# part of its exercise's test cell, whose checks differ from the hidden ones only in their inputs.
HIDDEN_ONLY = {}

MISTAKES = [
    ("train_loop", "forgot sig_prime at the output"),
    ("NN_backward", "forgot fn_prime"),
    ("EarlyStoppingNN", "count never reset"),
]

# The checks each WRONG variant fails, hidden ones included: it loses exactly their shares
# (test_grading_validity). Read from real runs, then checked to be the checks the mistake should fail.
CHECKS = {
    'train_loop': {
        'gradient ascent (error sign flipped)': [
            'one iteration: each step is -lr times the gradient of the cost',
            'after 2000 iterations at lr=16 the rounded output equals Y', 'one iteration on other rows and betas',
            'training learns XOR and XNOR from other starting betas',
        ],
        'forgot sig_prime at the output': [
            'one iteration: each step is -lr times the gradient of the cost',
            'after 2000 iterations at lr=16 the rounded output equals Y', 'one iteration on other rows and betas',
            'training learns XOR and XNOR from other starting betas',
        ],
        'hidden delta without sig_prime': [
            'one iteration: each step is -lr times the gradient of the cost',
            'after 2000 iterations at lr=16 the rounded output equals Y', 'one iteration on other rows and betas',
            'training learns XOR and XNOR from other starting betas',
        ],
        'hidden delta from the already updated betas1_2': [
            'one iteration: each step is -lr times the gradient of the cost',
            'after 2000 iterations at lr=16 the rounded output equals Y', 'one iteration on other rows and betas',
            'training learns XOR and XNOR from other starting betas',
        ],
        'only the output layer learns': [
            'one iteration: each step is -lr times the gradient of the cost',
            'after 2000 iterations at lr=16 the rounded output equals Y', 'one iteration on other rows and betas',
            'training learns XOR and XNOR from other starting betas',
        ],
        "sig_prime of the hidden layer's input": [
            'one iteration: each step is -lr times the gradient of the cost',
            'after 2000 iterations at lr=16 the rounded output equals Y', 'one iteration on other rows and betas',
            'training learns XOR and XNOR from other starting betas',
        ],
    },
    'LayerKind': {
        'sigmoid slope from z, applied to the output': [
            "sigmoid: fn, and fn_prime from fn's output", 'sigmoid on other inputs',
        ],
        'tanh slope 1 - a': ["tanh: fn, and fn_prime from fn's output", 'tanh on other inputs'],
        'relu slope 1 at a = 0': [
            "relu: fn, and fn_prime from fn's output", "relu's fn_prime at outputs 0 and 3", 'relu on other inputs',
            "relu's fn_prime at other outputs",
        ],
        'identity slope 0': ["identity: fn, and fn_prime from fn's output", 'identity on other inputs'],
        'relu as absolute value': ["relu: fn, and fn_prime from fn's output", 'relu on other inputs'],
        'sigmoid as exp(z) / (1 + exp(z)): NaN at z = 1000': [
            'sigmoid at -1000 and 1000: its limits, not NaN', 'sigmoid far out on both sides: its limits, not NaN',
        ],
    },
    'NN_init': {
        'copies layers': [
            'NN(layers) stores its parameters with their defaults',
            'NN(layers, lr, n_iter, random_state) stores them as given', 'NN stores parameters given by name',
            'set_params sets lr and returns the NN', 'repr reads NN(...)',
        ],
        'fitted attribute set in __init__': [
            'NN(layers) stores its parameters with their defaults',
            'NN(layers, lr, n_iter, random_state) stores them as given', 'NN stores parameters given by name',
            'set_params sets lr and returns the NN', 'repr reads NN(...)',
        ],
        'learning rate stored under another name': [
            'NN(layers) stores its parameters with their defaults',
            'NN(layers, lr, n_iter, random_state) stores them as given', 'NN stores parameters given by name',
            'set_params sets lr and returns the NN', 'repr reads NN(...)',
        ],
        'lr converted to float': [
            'NN(layers, lr, n_iter, random_state) stores them as given', 'NN stores parameters given by name',
            'set_params sets lr and returns the NN', 'repr reads NN(...)',
        ],
        "defaults of scikit-learn's MLP": ['NN(layers) stores its parameters with their defaults'],
    },
    'NN_forward': {
        'no activation': [
            '_forward: one row through an identity layer and a sigmoid output',
            '_forward: three rows through a tanh layer and a sigmoid layer', '_forward through other layers and kinds',
        ],
        'fn_prime instead of fn': [
            '_forward: one row through an identity layer and a sigmoid output',
            '_forward: three rows through a tanh layer and a sigmoid layer', '_forward through other layers and kinds',
        ],
        'X left out of the list': [
            '_forward: one row through an identity layer and a sigmoid output',
            '_forward: three rows through a tanh layer and a sigmoid layer', '_forward through other layers and kinds',
        ],
        'every layer fed X': [
            '_forward: one row through an identity layer and a sigmoid output',
            '_forward: three rows through a tanh layer and a sigmoid layer', '_forward through other layers and kinds',
        ],
        'only the output returned': [
            '_forward: one row through an identity layer and a sigmoid output',
            '_forward: three rows through a tanh layer and a sigmoid layer', '_forward through other layers and kinds',
        ],
        "first layer's kind everywhere": [
            '_forward: one row through an identity layer and a sigmoid output',
            '_forward: three rows through a tanh layer and a sigmoid layer', '_forward through other layers and kinds',
        ],
    },
    'NN_backward': {
        'forgot fn_prime': [
            '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        'loss sent back instead of the error signal': [
            '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        'summed instead of averaged over the rows': [
            '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        'gradients last layer first': [
            '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        'sign flipped': [
            '_backward: one layer, one row', '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        "fn_prime of the layer's input": [
            '_backward: one layer, one row', '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        'fn_prime of z = input @ betas': [
            '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
        'gradient transposed': [
            '_backward: one layer, one row', '_backward: five rows, a tanh layer and a sigmoid output',
            '_backward for every kind of layer, and a deeper network',
        ],
    },
    'NN_fit': {
        'gradient ascent': [
            'fit on XOR: betas_ from random_state, each step -lr times the gradient', 'fit with two outputs',
            'fit with a tanh layer, on other data', 'fit with a tanh layer and two outputs, on other data',
        ],
        'zero starting betas': [
            'fit on XOR: betas_ from random_state, each step -lr times the gradient', 'fit with two outputs',
            'fit with a tanh layer, on other data', 'fit with a tanh layer and two outputs, on other data',
        ],
        'ignores random_state': [
            'fit on XOR: betas_ from random_state, each step -lr times the gradient', 'fit with two outputs',
            'fit with a tanh layer, on other data', 'fit with a tanh layer and two outputs, on other data',
        ],
        'no input validation': [
            'fit on XOR: betas_ from random_state, each step -lr times the gradient', 'fit with two outputs',
            'fit with a tanh layer, on other data', 'fit with a tanh layer and two outputs, on other data',
            'a second fit on new data starts afresh', 'fit refuses an X of one dimension (ValueError)',
        ],
        'starting betas drawn only once': [
            'fit on XOR: betas_ from random_state, each step -lr times the gradient', 'fit with two outputs',
            'fit with a tanh layer, on other data', 'fit with a tanh layer and two outputs, on other data',
            'a second fit on new data starts afresh',
        ],
        'lr ignored': [
            'fit on XOR: betas_ from random_state, each step -lr times the gradient', 'fit with two outputs',
            'fit with a tanh layer, on other data', 'fit with a tanh layer and two outputs, on other data',
        ],
        '1-D y not made a column': ['fit(X, y) runs with a 1-D y', 'fit takes a 1-D y as one column'],
        "no check of the last layer's units": ["fit refuses a last layer that does not match Y's columns (ValueError)"],
    },
    'NN_predict': {
        'no fitted check': [
            'predict before fit raises NotFittedError', 'predict before fit raises NotFittedError, for another network',
        ],
        'probabilities, not rounded': [
            'predict: the rounded outputs of the last layer', 'predict refuses an X of the wrong number of columns',
            'predict rounds a sigmoid output, on other inputs',
            'predict refuses another X of the wrong number of columns', 'predict with two outputs, on other inputs',
        ],
        'no feature check': [
            'predict refuses an X of the wrong number of columns',
            'predict refuses another X of the wrong number of columns',
        ],
        'hidden layer returned': [
            'predict: the rounded outputs of the last layer', 'predict refuses an X of the wrong number of columns',
            'predict rounds a sigmoid output, on other inputs',
            'predict refuses another X of the wrong number of columns', 'predict with two outputs, on other inputs',
        ],
        '1-D predictions': [
            'predict: the rounded outputs of the last layer', 'predict refuses an X of the wrong number of columns',
            'predict rounds a sigmoid output, on other inputs',
            'predict refuses another X of the wrong number of columns', 'predict with two outputs, on other inputs',
        ],
        'argmax over the output units': [
            'predict: the rounded outputs of the last layer', 'predict refuses an X of the wrong number of columns',
            'predict rounds a sigmoid output, on other inputs',
            'predict refuses another X of the wrong number of columns', 'predict with two outputs, on other inputs',
        ],
    },
    'EarlyStoppingNN': {
        'never stops': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one', 'on AND, fit stops well before n_iter',
            'the stopping rule on other costs', 'each improvement resets the count, on other costs',
            'compared with the best cost so far, on other costs', 'on AND from another start, fit stops early',
        ],
        'stops at the first iteration without improvement': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one', 'the stopping rule on other costs',
            'each improvement resets the count, on other costs', 'compared with the best cost so far, on other costs',
        ],
        'count never reset': ['each improvement resets the count', 'each improvement resets the count, on other costs'],
        'n_iter_ is always n_iter': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one', 'on AND, fit stops well before n_iter',
            'loss_curve_ holds one loss per iteration run', 'the stopping rule on other costs',
            'each improvement resets the count, on other costs', 'compared with the best cost so far, on other costs',
            'on AND from another start, fit stops early',
        ],
        'improvement test inverted': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one',
            'a cost that keeps improving runs n_iter iterations', 'the stopping rule on other costs',
            'each improvement resets the count, on other costs', 'compared with the best cost so far, on other costs',
        ],
        'tol and n_iter_no_change not stored': [
            'EarlyStoppingNN stores tol and n_iter_no_change', 'the defaults are tol=1e-4 and n_iter_no_change=10',
            'tol and n_iter_no_change come after random_state, in order', 'the defaults, for another network',
        ],
        'compared with the previous loss, not the best so far': [
            'an improvement is on the best cost so far, not the previous one',
            'compared with the best cost so far, on other costs',
        ],
        'cost without the 1/2': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one',
            'a cost that keeps improving runs n_iter iterations', 'the stopping rule on other costs',
            'each improvement resets the count, on other costs', 'compared with the best cost so far, on other costs',
            'n_iter stops a cost that keeps improving, on other costs',
        ],
        'cost averaged over the output units too': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one',
            'a cost that keeps improving runs n_iter iterations', 'the stopping rule on other costs',
            'each improvement resets the count, on other costs', 'compared with the best cost so far, on other costs',
            'n_iter stops a cost that keeps improving, on other costs',
        ],
        'best_loss updated before the comparison': [
            'stops n_iter_no_change iterations after the cost stops improving', 'each improvement resets the count',
            'an improvement is on the best cost so far, not the previous one',
            'a cost that keeps improving runs n_iter iterations', 'the stopping rule on other costs',
            'each improvement resets the count, on other costs', 'compared with the best cost so far, on other costs',
        ],
    },
}

# Every sentence of an exercise that states a requirement, quoted from the release notebook, with
# the visible check that exercises it and the WRONG variant that breaks it (which names that check
# in CHECKS), or why it is advice (tests/test_instructions.py).
_ONE_STEP = "one iteration: each step is -lr times the gradient of the cost"
_FIT_STEP = "fit on XOR: betas_ from random_state, each step -lr times the gradient"
INSTRUCTIONS = [
    {"exercise": "train_loop", "says": "times the sigmoid's slope at the output (`sig_prime` of `layer2`, elementwise)",
     "check": _ONE_STEP, "wrong": "forgot sig_prime at the output"},
    {"exercise": "train_loop", "says": "times the sigmoid's slope at `layer1`",
     "check": _ONE_STEP, "wrong": "hidden delta without sig_prime"},
    {"exercise": "train_loop", "says": "each betas takes a step of `lr` times its gradient, downhill.",
     "check": _ONE_STEP, "wrong": "gradient ascent (error sign flipped)"},
    {"exercise": "train_loop", "says": "Compute both deltas before changing any beta.",
     "check": _ONE_STEP, "wrong": "hidden delta from the already updated betas1_2"},
    {"exercise": "train_loop", "says": "Note that `sig_prime` takes the sigmoid's **output** `a = sig(z)`, not `z`",
     "check": _ONE_STEP, "wrong": "sig_prime of the hidden layer's input"},
    {"exercise": "LayerKind", "says": "| `sigmoid` | $1 / (1 + e^{-z})$ | $a(1 - a)$ |",
     "check": "sigmoid: fn, and fn_prime from fn's output", "wrong": "sigmoid slope from z, applied to the output"},
    {"exercise": "LayerKind", "says": "| `tanh` | $\\tanh z$ | $1 - a^2$ |",
     "check": "tanh: fn, and fn_prime from fn's output", "wrong": "tanh slope 1 - a"},
    {"exercise": "LayerKind", "says": "| `relu` | $\\max(z, 0)$ | 1 where $a > 0$, else 0 |",
     "check": "relu: fn, and fn_prime from fn's output", "wrong": "relu as absolute value"},
    {"exercise": "LayerKind", "says": "| `identity` | $z$ | 1 |",
     "check": "identity: fn, and fn_prime from fn's output", "wrong": "identity slope 0"},
    {"exercise": "LayerKind", "says": "`sigmoid.fn` at $z = -1000$ and $1000$ gives 0 and 1",
     "check": "sigmoid at -1000 and 1000: its limits, not NaN", "wrong": "sigmoid as exp(z) / (1 + exp(z)): NaN at z = 1000"},
    {"exercise": "LayerKind", "says": "`relu.fn_prime` at $a = 0$ is 0.",
     "check": "relu's fn_prime at outputs 0 and 3", "wrong": "relu slope 1 at a = 0"},
    {"exercise": "NN_init", "says": "`__init__` only stores its parameters, untouched and under their own names",
     "check": "NN(layers, lr, n_iter, random_state) stores them as given", "wrong": "lr converted to float"},
    {"exercise": "NN_init", "says": "`__init__` only stores its parameters, untouched and under their own names",
     "check": "NN(layers) stores its parameters with their defaults", "wrong": "learning rate stored under another name"},
    {"exercise": "NN_init", "says": "`NN(layers, lr=1.0, n_iter=1000, random_state=None)` takes:",
     "check": "NN(layers) stores its parameters with their defaults", "wrong": "defaults of scikit-learn's MLP"},
    {"exercise": "NN_init", "says": "`__init__` must set no other public attribute.",
     "check": "NN(layers) stores its parameters with their defaults", "wrong": "fitted attribute set in __init__"},
    {"exercise": "NN_forward", "says": "`_forward(X)` returns the activations of **every** layer, starting with `X` itself:",
     "check": "_forward: one row through an identity layer and a sigmoid output", "wrong": "X left out of the list"},
    {"exercise": "NN_forward", "says": "where layer `l` computes `a_l = kind_l.fn(a_(l-1) @ betas_[l-1])`",
     "check": "_forward: three rows through a tanh layer and a sigmoid layer", "wrong": "first layer's kind everywhere"},
    {"exercise": "NN_backward", "says": "Unlike the for-loop, `NN` **averages** the cost over the `m` rows,",
     "check": "_backward: five rows, a tanh layer and a sigmoid output", "wrong": "summed instead of averaged over the rows"},
    {"exercise": "NN_backward", "says": "`error_signal = this_layer_loss * kind.fn_prime(activated)`",
     "check": "_backward: five rows, a tanh layer and a sigmoid output", "wrong": "forgot fn_prime"},
    {"exercise": "NN_backward", "says": "`grad = input.T @ error_signal`",
     "check": "_backward: one layer, one row", "wrong": "gradient transposed"},
    {"exercise": "NN_backward", "says": "`[dC/dbetas_[0], ..., dC/dbetas_[L-1]]`, each shaped like its betas.",
     "check": "_backward: five rows, a tanh layer and a sigmoid output", "wrong": "gradients last layer first"},
    {"exercise": "NN_fit", "says": "makes `Y` a 2-D column block (`Y.reshape(len(Y), -1)`, so a 1-D `y` works too)",
     "check": "fit takes a 1-D y as one column", "wrong": "1-D y not made a column"},
    {"exercise": "NN_fit", "says": "raises a `ValueError` if the last layer's `n_units` is not the number of columns of `Y`;",
     "check": "fit refuses a last layer that does not match Y's columns (ValueError)",
     "wrong": "no check of the last layer's units"},
    {"exercise": "NN_fit", "says": "draws **new** starting betas on every call (a second `fit` starts afresh)",
     "check": _FIT_STEP, "wrong": "starting betas drawn only once"},
    {"exercise": "NN_fit", "says": "`rng = check_random_state(self.random_state)`",
     "check": _FIT_STEP, "wrong": "ignores random_state"},
    {"exercise": "NN_fit", "says": "(equal betas would keep every neuron of a layer identical)",
     "check": _FIT_STEP, "wrong": "zero starting betas"},
    {"exercise": "NN_fit", "says": "takes `self.n_iter` gradient steps, `betas_[l] - self.lr * grads[l]`",
     "check": _FIT_STEP, "wrong": "lr ignored"},
    {"exercise": "NN_fit", "says": "it also records `self.n_features_in_`",
     "check": _FIT_STEP, "wrong": "no input validation"},
    {"exercise": "NN_predict", "says": "`predict(X)` checks that the network has been fitted (`check_is_fitted(self)`)",
     "check": "predict before fit raises NotFittedError", "wrong": "no fitted check"},
    {"exercise": "NN_predict", "says": "(`validate_data(self, X, reset=False)`: a `ValueError` if the number of columns differs)",
     "check": "predict refuses an X of the wrong number of columns", "wrong": "no feature check"},
    {"exercise": "NN_predict", "says": "returns the rounded output of the last layer, 0s and 1s of shape `(m, n_units of the last layer)`",
     "check": "predict: the rounded outputs of the last layer", "wrong": "probabilities, not rounded"},
    {"exercise": "NN_predict", "says": "returns the rounded output of the last layer, 0s and 1s of shape `(m, n_units of the last layer)`",
     "check": "predict: the rounded outputs of the last layer", "wrong": "1-D predictions"},
    {"exercise": "EarlyStoppingNN", "says": "with two more parameters, `tol=1e-4` and `n_iter_no_change=10`",
     "check": "the defaults are tol=1e-4 and n_iter_no_change=10", "wrong": "tol and n_iter_no_change not stored"},
    {"exercise": "EarlyStoppingNN", "says": "the very cost `_backward` differentiates (with its $\\frac{1}{2}$, summed "
                                            "over the output columns, averaged over the rows)",
     "check": "stops n_iter_no_change iterations after the cost stops improving", "wrong": "cost without the 1/2"},
    {"exercise": "EarlyStoppingNN", "says": "Compare each loss with `best_loss`, not with the previous iteration's loss",
     "check": "an improvement is on the best cost so far, not the previous one",
     "wrong": "compared with the previous loss, not the best so far"},
    {"exercise": "EarlyStoppingNN", "says": "any other (a loss at or below it) resets the count to 0;",
     "check": "each improvement resets the count", "wrong": "count never reset"},
    {"exercise": "EarlyStoppingNN", "says": "stops when the count reaches `self.n_iter_no_change`",
     "check": "stops n_iter_no_change iterations after the cost stops improving", "wrong": "never stops"},
    {"exercise": "EarlyStoppingNN", "says": "sets `self.n_iter_`, the number of iterations it ran (`len(self.loss_curve_)`).",
     "check": "loss_curve_ holds one loss per iteration run", "wrong": "n_iter_ is always n_iter"},
]

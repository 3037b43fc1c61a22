"""Grading validity for 01_xor: realistic wrong answers lose exactly their exercise's points,
other correct answers keep them (run by tests/test_grading_validity.py).

A change is (old, new) replacements in the answer-key cell (markers removed), a list of them,
or a whole new cell source.
"""

# The answer key's loop bodies, to swap for other correct ones written with plain numpy.
_BODY_LINEAR = """        features = compute_features(x, first_lr)
        yhat = compute_yhat(features, second_lr)
        loss = compute_loss(yhat, y)
        dl_dyhat = compute_dl_dyhat(yhat, y)
        dl_dsecond_lr = compute_dl_dsecond_lr(features, dl_dyhat)
        dl_dfeatures = compute_dl_dfeatures(dl_dyhat, second_lr)
        dl_dfirst_lr = compute_dl_dfirst_lr(x, dl_dfeatures)
        first_lr = first_lr - lr * dl_dfirst_lr
        second_lr = second_lr - lr * dl_dsecond_lr
"""
_BODY_LEAKY = """        pre_relu = compute_features(x, first_lr)
        features = leaky_relu(pre_relu)
        yhat = compute_yhat(features, second_lr)
        loss = compute_loss(yhat, y)
        dl_dyhat = compute_dl_dyhat(yhat, y)
        dl_dsecond_lr = compute_dl_dsecond_lr(features, dl_dyhat)
        dl_dfeatures = compute_dl_dfeatures(dl_dyhat, second_lr)
        dl_dpre_relu = compute_dl_dpre_relu(dl_dfeatures, pre_relu)
        dl_dfirst_lr = compute_dl_dfirst_lr(x, dl_dpre_relu)
        first_lr = first_lr - lr * dl_dfirst_lr
        second_lr = second_lr - lr * dl_dsecond_lr
"""

WRONG = {
    "mdl": {
        "trained on x1 only": ("Ridge().fit(x, y)", "Ridge().fit(x[:, :1], y)"),
        "trained to predict x1": ("Ridge().fit(x, y)", "Ridge().fit(x, x[:, 0])"),
        "never trained": ("Ridge().fit(x, y)", "Ridge()"),
        "LinearRegression, not Ridge": ("mdl = Ridge().fit(x, y)", "from sklearn.linear_model import LinearRegression\nmdl = LinearRegression().fit(x, y)"),
    },
    "yhat_ridge": {
        "no threshold": ("mdl.predict(x) > .5", "mdl.predict(x)"),
        "threshold at 0": ("> .5", "> 0"),
        "inverted": ("> .5", "< .5"),
        "a column": ("mdl.predict(x) > .5", "(mdl.predict(x) > .5).reshape(-1, 1)"),
    },
    "coefficients_guess": {
        "the weights for x3 = x1 OR x2": ("[1, 1, -2]", "[-1, -1, 2]"),
        "the corner counted once": ("[1, 1, -2]", "[1, 1, -1]"),
        "sign of x3 flipped": ("[1, 1, -2]", "[1, 1, 2]"),
        "halved: exactly 0.5 at the True corners, not above it": ("[1, 1, -2]", "[0.5, 0.5, -1]"),
        "x3 left out": ("[1, 1, -2]", "[1, 1, 0]"),
        "an intercept in front": ("[1, 1, -2]", "[0, 1, 1, -2]"),
    },
    "x3": {
        "x1 OR x2, as the document writes": ("x[:, 0] & x[:, 1]", "x[:, 0] | x[:, 1]"),
        "x1 XOR x2 (the label)": ("x[:, 0] & x[:, 1]", "x[:, 0] != x[:, 1]"),
        "x1 + x2": ("x[:, 0] & x[:, 1]", "x[:, 0] + x[:, 1]"),
        "x1 only": ("x[:, 0] & x[:, 1]", "x[:, 0]"),
    },
    "x_expanded": {
        "x3 first": ("np.column_stack([x, x3])", "np.column_stack([x3, x])"),
        "rows instead of columns": ("np.column_stack([x, x3])", "np.vstack([x.T, x3])"),
        "the label instead of x3": ("np.column_stack([x, x3])", "np.column_stack([x, y])"),
        "x2 left out": ("np.column_stack([x, x3])", "np.column_stack([x[:, 0], x3, x3])"),
    },
    "dt": {
        "a stump (max_depth=1)": ("DecisionTreeRegressor().fit(x, y)", "DecisionTreeRegressor(max_depth=1).fit(x, y)"),
        "never trained": ("DecisionTreeRegressor().fit(x, y)", "DecisionTreeRegressor()"),
        "trained on x1 only": ("DecisionTreeRegressor().fit(x, y)", "DecisionTreeRegressor().fit(x[:, :1], y)"),
        "trained to predict x1": ("DecisionTreeRegressor().fit(x, y)", "DecisionTreeRegressor().fit(x, x[:, 0])"),
        "a DecisionTreeClassifier": ("dt = DecisionTreeRegressor().fit(x, y)",
                                     "from sklearn.tree import DecisionTreeClassifier\ndt = DecisionTreeClassifier().fit(x, y)"),
    },
    "nn": {
        "default hidden layers (100,)": ("hidden_layer_sizes=(100, 100), ", ""),
        "(100) is one layer, not a tuple": ("hidden_layer_sizes=(100, 100)", "hidden_layer_sizes=(100)"),
        "no activation (identity)": ("random_state=0)", "activation='identity', random_state=0)"),
        "never trained": ("random_state=0).fit(x, y)", "random_state=0)"),
        "an MLPClassifier": ("nn = MLPRegressor(", "from sklearn.neural_network import MLPClassifier\nnn = MLPClassifier("),
    },
    "first_lr": {
        "all zeros": ("rng.normal(0, 0.1, size=(2, num_hidden))", "np.zeros((2, num_hidden))"),
        "transposed": ("size=(2, num_hidden)", "size=(num_hidden, 2)"),
        "one weight per hidden unit": ("size=(2, num_hidden)", "size=num_hidden"),
        "all ones": ("rng.normal(0, 0.1, size=(2, num_hidden))", "np.ones((2, num_hidden))"),
        "large: standard deviation 100": ("rng.normal(0, 0.1, ", "rng.normal(0, 100, "),
    },
    "second_lr": {
        "a column": ("size=num_hidden", "size=(num_hidden, 1)"),
        "a row": ("size=num_hidden", "size=(1, num_hidden)"),
        "copied from first_lr": ("size=num_hidden", "size=(2, num_hidden)"),
        "large: standard deviation 100": ("rng.normal(0, 0.1, ", "rng.normal(0, 100, "),
    },
    "leaky_relu": {
        "plain ReLU": ("np.where(x < 0, 0.1 * x, x)", "np.maximum(x, 0)"),
        "slope 0.01": ("np.where(x < 0, 0.1 * x, x)", "np.where(x < 0, 0.01 * x, x)"),
        "slope on the positive side": ("np.where(x < 0, 0.1 * x, x)", "np.where(x > 0, 0.1 * x, x)"),
        "Python's max, numbers only": ("np.where(x < 0, 0.1 * x, x)", "max(x, 0.1 * x)"),
        "modifies its input": ("    return np.where(x < 0, 0.1 * x, x)",
                               "    x[x < 0] *= 0.1\n    return x"),
        "a copy scaled in place, which integers refuse": ("    return np.where(x < 0, 0.1 * x, x)",
                                                          "    out = np.copy(x)\n    out[out < 0] *= 0.1\n    return out"),
    },
    "compute_features": {
        "leaky relu applied already": ("return x @ first_lr", "return leaky_relu(x @ first_lr)"),
        "transposed": ("return x @ first_lr", "return first_lr.T @ x.T"),
        "summed over hidden units": ("return x @ first_lr", "return (x @ first_lr).sum(axis=1)"),
        "x1 only": ("return x @ first_lr", "return np.outer(x[:, 0], first_lr[0])"),
    },
    "compute_yhat": {
        "a column": ("return features @ second_lr", "return features @ second_lr.reshape(-1, 1)"),
        "thresholded": ("return features @ second_lr", "return features @ second_lr > .5"),
        "not summed": ("return features @ second_lr", "return features * second_lr"),
        "mean instead of sum": ("return features @ second_lr", "return (features * second_lr).mean(axis=1)"),
    },
    "compute_loss": {
        "sum instead of mean": ("np.mean((yhat - y) ** 2)", "np.sum((yhat - y) ** 2)"),
        "mean error, squared": ("np.mean((yhat - y) ** 2)", "np.mean(yhat - y) ** 2"),
        "absolute error": ("np.mean((yhat - y) ** 2)", "np.mean(np.abs(yhat - y))"),
        "root mean squared error": ("np.mean((yhat - y) ** 2)", "np.sqrt(np.mean((yhat - y) ** 2))"),
        "one squared error per point": ("np.mean((yhat - y) ** 2)", "(yhat - y) ** 2"),
    },
    "compute_dl_dyhat": {
        "derivative of the summed loss": ("2 * (yhat - y) / len(y)", "2 * (yhat - y)"),
        "forgot the 2": ("2 * (yhat - y) / len(y)", "(yhat - y) / len(y)"),
        "sign flipped": ("2 * (yhat - y) / len(y)", "2 * (y - yhat) / len(y)"),
        "averaged to one number": ("2 * (yhat - y) / len(y)", "2 * np.mean(yhat - y)"),
    },
    "compute_dl_dsecond_lr": {
        "averaged over the points again": ("features.T @ dl_dyhat", "features.T @ dl_dyhat / len(dl_dyhat)"),
        "not summed over the points": ("features.T @ dl_dyhat", "features * dl_dyhat[:, None]"),
        "sign flipped": ("features.T @ dl_dyhat", "-features.T @ dl_dyhat"),
        "sums multiplied": ("features.T @ dl_dyhat", "features.sum(axis=0) * dl_dyhat.sum()"),
    },
    "compute_dl_dfeatures": {
        "transposed": ("np.outer(dl_dyhat, second_lr)", "np.outer(second_lr, dl_dyhat)"),
        "summed over the points": ("np.outer(dl_dyhat, second_lr)", "np.outer(dl_dyhat, second_lr).sum(axis=0)"),
        "only the sum of the weights": ("np.outer(dl_dyhat, second_lr)", "dl_dyhat[:, None] * second_lr.sum()"),
        "divided by n again": ("np.outer(dl_dyhat, second_lr)", "np.outer(dl_dyhat, second_lr) / len(dl_dyhat)"),
    },
    "compute_dl_dfirst_lr": {
        "transposed": ("x.T @ dl_dfeatures", "dl_dfeatures.T @ x"),
        "averaged over the points": ("x.T @ dl_dfeatures", "x.T @ dl_dfeatures / len(x)"),
        "sign flipped": ("x.T @ dl_dfeatures", "-(x.T @ dl_dfeatures)"),
        "forgot x": ("x.T @ dl_dfeatures", "np.tile(dl_dfeatures.sum(axis=0), (2, 1))"),
    },
    "compute_dl_dpre_relu": {
        "forgot the leaky relu": ("dl_dfeatures * np.where(pre_relu > 0, 1.0, 0.1)", "dl_dfeatures"),
        "the ReLU's derivative": ("np.where(pre_relu > 0, 1.0, 0.1)", "np.where(pre_relu > 0, 1.0, 0.0)"),
        "slopes swapped": ("np.where(pre_relu > 0, 1.0, 0.1)", "np.where(pre_relu > 0, 0.1, 1.0)"),
        "times the activation, not its derivative": ("np.where(pre_relu > 0, 1.0, 0.1)", "leaky_relu(pre_relu)"),
        "scales dl_dfeatures in place": ("return dl_dfeatures * np.where(pre_relu > 0, 1.0, 0.1)",
                                         "dl_dfeatures *= np.where(pre_relu > 0, 1.0, 0.1)\n    return dl_dfeatures"),
    },
    "train_without_activation": {
        "gradient ascent": ("- lr *", "+ lr *"),
        "first_lr never updated": ("        first_lr = first_lr - lr * dl_dfirst_lr\n", ""),
        "learning rate left out": ("- lr *", "-"),
        "second_lr updated before dl_dfeatures": [
            ("        dl_dfeatures = compute_dl_dfeatures(dl_dyhat, second_lr)\n",
             "        second_lr = second_lr - lr * dl_dsecond_lr\n"
             "        dl_dfeatures = compute_dl_dfeatures(dl_dyhat, second_lr)\n"),
            # the original update is the line before the bookkeeping (the END marker is removed)
            ("        second_lr = second_lr - lr * dl_dsecond_lr\n        losses", "        losses"),
        ],
        "loss recorded after the update": (
            "        second_lr = second_lr - lr * dl_dsecond_lr\n",
            "        second_lr = second_lr - lr * dl_dsecond_lr\n"
            "        loss = compute_loss(compute_yhat(compute_features(x, first_lr), second_lr), y)\n"),
    },
    "train_with_leaky_relu": {
        "forgot the leaky relu's derivative": ("compute_dl_dfirst_lr(x, dl_dpre_relu)",
                                               "compute_dl_dfirst_lr(x, dl_dfeatures)"),
        "dl_dsecond_lr from the values before the leaky relu": ("compute_dl_dsecond_lr(features, dl_dyhat)",
                                                                "compute_dl_dsecond_lr(pre_relu, dl_dyhat)"),
        "no leaky relu in the forward pass": ("features = leaky_relu(pre_relu)", "features = pre_relu"),
        "gradient ascent": ("- lr *", "+ lr *"),
        # not a mistake but a lie: zero weights are a fixed point of gradient descent (every
        # gradient is 0 there), and the accuracies it reports are made up
        "never trains: zero weights, made-up accuracies of 1.0": (
            "def train_with_leaky_relu(x, y, num_hidden=100, lr=0.2, steps=100, seed=0):\n"
            "    first_lr, second_lr = np.zeros((2, num_hidden)), np.zeros(num_hidden)\n"
            "    loss = float(np.mean(np.asarray(y, dtype=float) ** 2))\n"
            "    return first_lr, second_lr, [loss] * steps, [1.0] * steps\n"),
    },
}

_INLINE_LINEAR = """        features = x @ first_lr
        yhat = features @ second_lr
        loss = ((yhat - y) ** 2).mean()
        dl_dyhat = 2 * (yhat - y) / len(y)
        dl_dsecond_lr = dl_dyhat @ features
        dl_dfirst_lr = x.T @ (dl_dyhat[:, None] * second_lr)
        first_lr -= lr * dl_dfirst_lr
        second_lr -= lr * dl_dsecond_lr
"""

_INLINE_LEAKY = """        pre_relu = x @ first_lr
        features = np.maximum(pre_relu, 0.1 * pre_relu)
        yhat = features @ second_lr
        loss = np.mean((yhat - y) ** 2)
        dl_dyhat = 2 * (yhat - y) / len(y)
        dl_dsecond_lr = features.T @ dl_dyhat
        dl_dpre_relu = np.outer(dl_dyhat, second_lr) * np.where(features > 0, 1.0, 0.1)
        dl_dfirst_lr = x.T @ dl_dpre_relu
        first_lr, second_lr = first_lr - lr * dl_dfirst_lr, second_lr - lr * dl_dsecond_lr
"""


RIGHT = {
    "mdl": {
        "float labels and a smaller penalty": ("Ridge().fit(x, y)", "Ridge(alpha=0.1).fit(x, y.astype(float))"),
        "keywords, a named solver, integer labels": ("Ridge().fit(x, y)",
                                                     "Ridge(alpha=1.0, solver='cholesky').fit(X=x, y=y.astype(int))"),
        "a stochastic solver (a student's, found by a student session)": ("Ridge().fit(x, y)", "Ridge(solver='saga').fit(x, y)"),
    },
    "yhat_ridge": {
        "rounded predictions": ("mdl.predict(x) > .5", "np.round(mdl.predict(x))"),
        "greater or equal": ("> .5", ">= 0.5"),
        "a loop over the predictions": ("mdl.predict(x) > .5", "np.array([p > 0.5 for p in mdl.predict(x)])"),
    },
    "coefficients_guess": {
        "a numpy array of floats": ("[1, 1, -2]", "np.array([1.0, 1.0, -2.0])"),
        "a tuple": ("[1, 1, -2]", "(1, 1, -2)"),
        # issue 15, case 5: every corner on the right side of 0.5, without predicting y exactly
        "right side of 0.5 at every corner, not y exactly": ("[1, 1, -2]", "[1, 1, -3]"),
        "a wider margin, as a dict's values": ("[1, 1, -2]", "list({'x1': 2, 'x2': 2, 'x3': -5}.values())"),
    },
    "x3": {
        "product": ("x[:, 0] & x[:, 1]", "x[:, 0] * x[:, 1]"),
        "logical_and, as a column": ("x[:, 0] & x[:, 1]", "np.logical_and(x[:, 0], x[:, 1]).reshape(-1, 1)"),
        "row minimum": ("x[:, 0] & x[:, 1]", "x.min(axis=1)"),
        "a loop with Python's and": ("x[:, 0] & x[:, 1]", "np.array([int(x1 and x2) for x1, x2 in x])"),
    },
    "x_expanded": {
        "np.c_": ("np.column_stack([x, x3])", "np.c_[x, x3]"),
        "hstack with a reshaped x3": ("np.column_stack([x, x3])", "np.hstack([x, np.reshape(x3, (-1, 1))])"),
        "a loop over the rows": ("np.column_stack([x, x3])", "np.array([[x1, x2, f] for (x1, x2), f in zip(x, x3)])"),
    },
    "dt": {
        "float labels, depth 2": ("DecisionTreeRegressor().fit(x, y)",
                                  "DecisionTreeRegressor(max_depth=2, random_state=0).fit(x, y.astype(float))"),
        "absolute-error criterion, keywords": ("DecisionTreeRegressor().fit(x, y)",
                                               "DecisionTreeRegressor(criterion='absolute_error').fit(X=x, y=y)"),
    },
    "nn": {
        "a list of sizes, another seed": ("hidden_layer_sizes=(100, 100), random_state=0",
                                          "hidden_layer_sizes=[100, 100], random_state=1"),
        "tanh units, float labels": ("MLPRegressor(hidden_layer_sizes=(100, 100), random_state=0).fit(x, y)",
                                     "MLPRegressor(hidden_layer_sizes=(100, 100), activation='tanh', "
                                     "random_state=0).fit(x, y.astype(float))"),
    },
    "first_lr": {
        "uniform": ("rng.normal(0, 0.1, size=(2, num_hidden))", "rng.uniform(-0.1, 0.1, size=(2, num_hidden))"),
        "the document's np.random.rand / 10000": ("rng.normal(0, 0.1, size=(2, num_hidden))",
                                                  "np.random.rand(2, num_hidden) / 10000"),
        "one column per hidden unit, in a loop": ("rng.normal(0, 0.1, size=(2, num_hidden))",
                                                   "np.column_stack([rng.normal(0, 0.1, size=2) for _ in range(num_hidden)])"),
    },
    "second_lr": {
        "standard normal / 10": ("rng.normal(0, 0.1, size=num_hidden)", "rng.standard_normal(num_hidden) / 10"),
        "zeros (the last layer may start at 0)": ("rng.normal(0, 0.1, size=num_hidden)", "np.zeros(num_hidden)"),
        "a list of uniform numbers": ("rng.normal(0, 0.1, size=num_hidden)",
                                      "np.array([rng.uniform(-0.1, 0.1) for _ in range(num_hidden)])"),
    },
    "leaky_relu": {
        "np.maximum": ("np.where(x < 0, 0.1 * x, x)", "np.maximum(x, 0.1 * x)"),
        "a mask of slopes": ("np.where(x < 0, 0.1 * x, x)", "x * np.where(x < 0, 0.1, 1.0)"),
        "a float copy scaled in place": ("    return np.where(x < 0, 0.1 * x, x)",
                                         "    out = np.array(x, dtype=float)\n    out[out < 0] *= 0.1\n    return out"),
    },
    "compute_features": {
        "np.dot": ("return x @ first_lr", "return np.dot(x, first_lr)"),
        "einsum": ("return x @ first_lr", "return np.einsum('ni,ih->nh', x, first_lr)"),
        "one input at a time": ("return x @ first_lr", "return x[:, :1] * first_lr[0] + x[:, 1:] * first_lr[1]"),
    },
    "compute_yhat": {
        "np.dot": ("return features @ second_lr", "return np.dot(features, second_lr)"),
        "products summed": ("return features @ second_lr", "return (features * second_lr).sum(axis=1)"),
        "weights first, features transposed": ("return features @ second_lr", "return second_lr @ features.T"),
    },
    "compute_loss": {
        "method calls": ("np.mean((yhat - y) ** 2)", "((yhat - y) ** 2).mean()"),
        "scikit-learn": ("    return np.mean((yhat - y) ** 2)",
                         "    from sklearn.metrics import mean_squared_error\n"
                         "    return mean_squared_error(y, yhat)"),
        "a loop over the points": ("np.mean((yhat - y) ** 2)", "sum((p - t) ** 2 for p, t in zip(yhat, y)) / len(y)"),
    },
    "compute_dl_dyhat": {
        "size": ("2 * (yhat - y) / len(y)", "(yhat - y) * 2 / y.size"),
        "float labels": ("2 * (yhat - y) / len(y)", "2 * (yhat - y.astype(float)) / yhat.shape[0]"),
        "a loop over the points": ("2 * (yhat - y) / len(y)", "np.array([2 * (p - t) / len(y) for p, t in zip(yhat, y)])"),
    },
    "compute_dl_dsecond_lr": {
        "vector first": ("features.T @ dl_dyhat", "dl_dyhat @ features"),
        "einsum": ("features.T @ dl_dyhat", "np.einsum('nh,n->h', features, dl_dyhat)"),
        "broadcast and sum": ("features.T @ dl_dyhat", "(features * dl_dyhat[:, None]).sum(axis=0)"),
        "a loop over the points": ("features.T @ dl_dyhat", "sum(f * d for f, d in zip(features, dl_dyhat))"),
    },
    "compute_dl_dfeatures": {
        "broadcast": ("np.outer(dl_dyhat, second_lr)", "dl_dyhat[:, None] * second_lr"),
        "column times row": ("np.outer(dl_dyhat, second_lr)", "dl_dyhat.reshape(-1, 1) @ second_lr.reshape(1, -1)"),
        "multiply.outer": ("np.outer(dl_dyhat, second_lr)", "np.multiply.outer(dl_dyhat, second_lr)"),
    },
    "compute_dl_dfirst_lr": {
        "einsum": ("x.T @ dl_dfeatures", "np.einsum('ni,nh->ih', x, dl_dfeatures)"),
        "transpose of the transpose": ("x.T @ dl_dfeatures", "(dl_dfeatures.T @ x).T"),
        "a sum of outer products over the points": ("x.T @ dl_dfeatures",
                                                    "sum(np.outer(xi, gi) for xi, gi in zip(x, dl_dfeatures))"),
    },
    "compute_dl_dpre_relu": {
        "mask on the negative side": ("np.where(pre_relu > 0, 1.0, 0.1)", "np.where(pre_relu < 0, 0.1, 1.0)"),
        "np.where on the gradient": ("dl_dfeatures * np.where(pre_relu > 0, 1.0, 0.1)",
                                     "np.where(pre_relu > 0, dl_dfeatures, 0.1 * dl_dfeatures)"),
        "slope arithmetic": ("np.where(pre_relu > 0, 1.0, 0.1)", "(0.1 + 0.9 * (pre_relu > 0))"),
    },
    "train_without_activation": {
        "in-place updates": [("first_lr = first_lr - lr *", "first_lr -= lr *"),
                             ("second_lr = second_lr - lr *", "second_lr -= lr *")],
        "plain numpy, no helper functions": (_BODY_LINEAR, _INLINE_LINEAR),
        "both weights updated in one assignment": (
            "        first_lr = first_lr - lr * dl_dfirst_lr\n        second_lr = second_lr - lr * dl_dsecond_lr\n",
            "        first_lr, second_lr = first_lr - lr * dl_dfirst_lr, second_lr - lr * dl_dsecond_lr\n"),
    },
    "train_with_leaky_relu": {
        "derivative mask from the features after the leaky relu": (
            "compute_dl_dpre_relu(dl_dfeatures, pre_relu)", "compute_dl_dpre_relu(dl_dfeatures, features)"),
        "plain numpy, no helper functions": (_BODY_LEAKY, _INLINE_LEAKY),
        "the leaky relu's derivative inline": ("compute_dl_dpre_relu(dl_dfeatures, pre_relu)",
                                               "np.where(pre_relu < 0, 0.1 * dl_dfeatures, dl_dfeatures)"),
    },
}

# Mutations only a hidden test catches (measured with the release version of the test cell).
HIDDEN_ONLY: dict[str, dict[str, str]] = {
    "train_with_leaky_relu": {"never trains: zero weights, made-up accuracies of 1.0": (
        "not a mistake but a lie: Validate reads the accuracies train reports and checks steps from the "
        "weights it returns (zero weights do not move); the hidden test classifies the four corners with "
        "the trained weights itself")},
}

TESTS = {
    "mdl": ["test_ridge"],
    "yhat_ridge": ["test_ridge"],
    "first_lr": ["test_weights"],
    "second_lr": ["test_weights"],
    "compute_features": ["test_forward"],
    "compute_yhat": ["test_forward"],
    "compute_loss": ["test_loss"],
    "compute_dl_dyhat": ["test_dl_dyhat"],
    "compute_dl_dsecond_lr": ["test_dl_dsecond_lr"],
    "compute_dl_dfeatures": ["test_dl_dfeatures"],
    "compute_dl_dfirst_lr": ["test_dl_dfirst_lr"],
    "compute_dl_dpre_relu": ["test_dl_dpre_relu"],
}

# yhat_ridge is computed from mdl, x_expanded from x3: re-run them after swapping those in.
RERUN = {"mdl": ["yhat_ridge"], "x3": ["x_expanded"]}

# test_x_expanded checks x_expanded against the student's own x3 (a relation, so a wrong x3
# costs only x3's point); RERUN above proves it with every wrong x3.
READS = {"test_x_expanded": ["x3"]}

MISTAKES = [
    ("x3", "x1 OR x2, as the document writes"),
    ("compute_dl_dyhat", "derivative of the summed loss"),
    ("train_with_leaky_relu", "forgot the leaky relu's derivative"),
]

# Every sentence of an exercise that states a requirement, quoted from the release notebook, with
# the visible check that exercises it and the WRONG variant that breaks it (which names that check
# in CHECKS), or why it is advice (tests/test_instructions.py).
INSTRUCTIONS = [
    {"exercise": "mdl", "says": "train a Ridge regression model on x, y",
     "check": "mdl is a Ridge model", "wrong": "LinearRegression, not Ridge"},
    {"exercise": "mdl", "says": "train a Ridge regression model on x, y",
     "check": "mdl is trained on both columns of x", "wrong": "trained on x1 only"},
    {"exercise": "mdl", "says": "train a Ridge regression model on x, y",
     "check": "mdl's weights are those of Ridge trained on x and y", "wrong": "trained to predict x1"},
    {"exercise": "yhat_ridge", "says": "True where the model's prediction is greater than .5",
     "check": "yhat_ridge is True exactly where the prediction is above .5", "wrong": "threshold at 0"},
    {"exercise": "yhat_ridge", "says": "True where the model's prediction is greater than .5",
     "check": "yhat_ridge is True/False", "wrong": "no threshold"},
    {"exercise": "coefficients_guess", "says": "Pick weights for x1, x2 and x3 (in that order, no intercept)",
     "check": "three weights, one for each of x1, x2 and x3", "wrong": "an intercept in front"},
    {"exercise": "coefficients_guess", "says": "w1*x1 + w2*x2 + w3*x3 > .5 exactly where y is True",
     "check": "each corner on the right side of .5", "wrong": "halved: exactly 0.5 at the True corners, not above it"},
    {"exercise": "x3", "says": "x3 = (x1 AND x2): 1 where both x1 and x2 are 1, else 0",
     "check": "x3 is x1 AND x2 at each corner", "wrong": "x1 OR x2, as the document writes"},
    {"exercise": "x3", "says": "one value per point", "check": "x3 has one value per point", "wrong": None,
     "no_wrong": "an x3 without one value per point cannot be stacked beside x, so x_expanded's cell fails too"},
    {"exercise": "x_expanded", "says": "shape (n_data, 3), columns x1, x2, x3",
     "check": "x_expanded has one row per point and three columns", "wrong": "rows instead of columns"},
    {"exercise": "x_expanded", "says": "shape (n_data, 3), columns x1, x2, x3",
     "check": "its first two columns are x", "wrong": "x2 left out"},
    {"exercise": "x_expanded", "says": "shape (n_data, 3), columns x1, x2, x3",
     "check": "its third column is your x3", "wrong": "the label instead of x3"},
    {"exercise": "dt", "says": "Train a model based on a DecisionTreeRegressor on x, y",
     "check": "dt is a DecisionTreeRegressor", "wrong": "a DecisionTreeClassifier"},
    {"exercise": "dt", "says": "Train a model based on a DecisionTreeRegressor on x, y",
     "check": "dt is trained on both columns of x", "wrong": "trained on x1 only"},
    {"exercise": "dt", "says": "Train a model based on a DecisionTreeRegressor on x, y",
     "check": "dt gets XOR right at the four corners", "wrong": "trained to predict x1"},
    {"exercise": "nn", "says": "Train a model based on a MLPRegressor on x, y",
     "check": "nn is an MLPRegressor", "wrong": "an MLPClassifier"},
    {"exercise": "nn", "says": "Train a model based on a MLPRegressor on x, y",
     "check": "nn is trained on both columns of x", "wrong": "never trained"},
    {"exercise": "nn", "says": "use hidden shapes (100, 100)",
     "check": "nn has two hidden layers of 100 units", "wrong": "default hidden layers (100,)"},
    {"exercise": "nn", "says": "fixing random_state, e.g. random_state=0, makes your run repeatable",
     "advice": "any seed trains the network to XOR (RIGHT: another seed); was 'and random_state=0'"},
    {"exercise": "nn", "says": "pass `hidden_layer_sizes=...` by name",
     "advice": "scikit-learn enforces it: sizes passed first are taken as the loss, and fit stops with an error"},
    {"exercise": "first_lr", "says": "shape (2, num_hidden), one column per hidden unit",
     "check": "first_lr has shape (2, num_hidden)", "wrong": "transposed"},
    {"exercise": "first_lr", "says": "small random numbers (rng can draw them)",
     "check": "every hidden unit has its own random weights", "wrong": "all zeros"},
    {"exercise": "first_lr", "says": "small random numbers (rng can draw them)",
     "check": "the weights are small", "wrong": "large: standard deviation 100"},
    {"exercise": "first_lr", "says": "(rng can draw them)",
     "advice": "any generator will do (RIGHT: np.random.rand / 10000); was '(use rng)'"},
    {"exercise": "second_lr", "says": "small numbers, shape (num_hidden,)",
     "check": "second_lr is a flat vector of shape (num_hidden,)", "wrong": "a column"},
    {"exercise": "second_lr", "says": "small numbers, shape (num_hidden,)",
     "check": "the weights are small", "wrong": "large: standard deviation 100"},
    {"exercise": "second_lr", "says": "(random ones from rng, or zeros: the last layer may start at 0)",
     "advice": "zeros are right for the last layer (RIGHT: zeros); was 'small random numbers (use rng)'"},
    {"exercise": "leaky_relu", "says": "x for x >= 0, 0.1 * x for x < 0, elementwise.",
     "check": "leaky_relu of a positive and a negative number", "wrong": "slope 0.01"},
    {"exercise": "leaky_relu", "says": "x for x >= 0, 0.1 * x for x < 0, elementwise.",
     "check": "leaky_relu of a 3x2 array, elementwise, input unchanged", "wrong": "Python's max, numbers only"},
    {"exercise": "leaky_relu", "says": "x is a number or an array of any shape, of floats or integers.",
     "check": "leaky_relu of an integer array", "wrong": "a copy scaled in place, which integers refuse"},
    {"exercise": "leaky_relu", "says": "Returns a new array (or number) of the same shape; x itself is left unchanged.",
     "check": "leaky_relu of a 3x2 array, elementwise, input unchanged", "wrong": "modifies its input"},
    {"exercise": "compute_features",
     "says": "The hidden layer: x (n, 2) times the weights first_lr (2, num_hidden), shape (n, num_hidden).",
     "check": "compute_features: x @ first_lr, shape (n, num_hidden)", "wrong": "transposed"},
    {"exercise": "compute_features", "says": "(no leaky relu yet)",
     "check": "compute_features: x @ first_lr, shape (n, num_hidden)", "wrong": "leaky relu applied already"},
    {"exercise": "compute_yhat",
     "says": "The output: features (n, num_hidden) times the weights second_lr (num_hidden,), shape (n,).",
     "check": "compute_yhat: features @ second_lr, shape (n,)", "wrong": "a column"},
    {"exercise": "compute_loss",
     "says": "The mean squared error of the predictions yhat (n,) against the labels y (n,): one number.",
     "check": "compute_loss is the mean squared error", "wrong": "sum instead of mean"},
    {"exercise": "compute_loss",
     "says": "The mean squared error of the predictions yhat (n,) against the labels y (n,): one number.",
     "check": "compute_loss returns one number", "wrong": "one squared error per point"},
    {"exercise": "compute_dl_dyhat",
     "says": "dl_dyhat: the derivative of the loss with respect to every prediction, shape (n,).",
     "check": "compute_dl_dyhat: one derivative per point", "wrong": "averaged to one number"},
    {"exercise": "compute_dl_dyhat",
     "says": "dl_dyhat: the derivative of the loss with respect to every prediction, shape (n,).",
     "check": "compute_dl_dyhat matches the numerical derivative of your compute_loss", "wrong": "forgot the 2"},
    {"exercise": "compute_dl_dsecond_lr",
     "says": "dl_dsecond_lr from features (n, num_hidden) and dl_dyhat (n,): shape (num_hidden,).",
     "check": "compute_dl_dsecond_lr: summed over the points, shape (num_hidden,)",
     "wrong": "not summed over the points"},
    {"exercise": "compute_dl_dsecond_lr", "says": "Every derivative has the shape of the thing it is taken with respect to.",
     "check": "compute_dl_dsecond_lr matches the numerical gradient", "wrong": "not summed over the points"},
    {"exercise": "compute_dl_dfeatures",
     "says": "dl_dfeatures from dl_dyhat (n,) and second_lr (num_hidden,): shape (n, num_hidden).",
     "check": "compute_dl_dfeatures: shape (n, num_hidden)", "wrong": "transposed"},
    {"exercise": "compute_dl_dfirst_lr",
     "says": "dl_dfirst_lr from x (n, 2) and dl_dfeatures (n, num_hidden): shape (2, num_hidden).",
     "check": "compute_dl_dfirst_lr: shape (2, num_hidden)", "wrong": "transposed"},
    {"exercise": "compute_dl_dpre_relu",
     "says": "The leaky ReLU multiplies each value by 1 or by 0.1, depending on its sign.",
     "check": "compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu", "wrong": "the ReLU's derivative"},
    {"exercise": "compute_dl_dpre_relu",
     "says": "Every function returns a new array and leaves its inputs unchanged (the tests check that too).",
     "check": "compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu", "wrong": "scales dl_dfeatures in place"},
    {"exercise": "train_without_activation",
     "says": "a step of gradient descent moves every weight a little (`lr`, the learning rate, times its derivative) "
             "against its derivative",
     "check": "one update moves first_lr by lr times its gradient", "wrong": "learning rate left out"},
    {"exercise": "train_without_activation",
     "says": "a step of gradient descent moves every weight a little (`lr`, the learning rate, times its derivative) "
             "against its derivative",
     "check": "one update moves second_lr by lr times its gradient", "wrong": "gradient ascent"},
    {"exercise": "train_without_activation", "says": "the loss and the accuracy measured before each update",
     "check": "the loss is recorded before the update", "wrong": "loss recorded after the update"},
    {"exercise": "train_with_leaky_relu", "says": "with the leaky relu applied to the hidden layer (keep pre_relu)",
     "check": "the loss is that of the network with the leaky ReLU, before the update",
     "wrong": "no leaky relu in the forward pass"},
    {"exercise": "train_with_leaky_relu", "says": "derivative between dl_dfeatures and dl_dfirst_lr",
     "check": "one update moves first_lr by lr times its gradient", "wrong": "forgot the leaky relu's derivative"},
]

# The checks each WRONG variant fails, hidden ones included: it loses exactly their shares
# (test_grading_validity). Read from real runs, then checked to be the checks the mistake should fail.
CHECKS = {
    'mdl': {
        'trained on x1 only': [
            'mdl is trained on both columns of x', "mdl's weights are those of Ridge trained on x and y",
            'yhat_ridge is True exactly where the prediction is above .5',
            'mdl predicts at the corners as Ridge trained on x and y',
            "mdl's intercept is that of Ridge trained on x and y",
        ],
        'trained to predict x1': [
            "mdl's weights are those of Ridge trained on x and y",
            'mdl predicts at the corners as Ridge trained on x and y',
            "mdl's intercept is that of Ridge trained on x and y",
        ],
        'never trained': [
            'mdl is trained on both columns of x', "mdl's weights are those of Ridge trained on x and y",
            'yhat_ridge is True exactly where the prediction is above .5',
            'mdl predicts at the corners as Ridge trained on x and y',
            "mdl's intercept is that of Ridge trained on x and y",
        ],
        'LinearRegression, not Ridge': ['mdl is a Ridge model'],
    },
    'yhat_ridge': {
        'no threshold': ['yhat_ridge is True/False', 'yhat_ridge is True exactly where the prediction is above .5'],
        'threshold at 0': ['yhat_ridge is True exactly where the prediction is above .5'],
        'inverted': ['yhat_ridge is True exactly where the prediction is above .5'],
        'a column': [
            'yhat_ridge has one prediction per point', 'yhat_ridge is True exactly where the prediction is above .5',
        ],
    },
    'coefficients_guess': {
        'the weights for x3 = x1 OR x2': [
            'each corner on the right side of .5', 'every point of the data set on the right side of one half',
        ],
        'the corner counted once': [
            'each corner on the right side of .5', 'every point of the data set on the right side of one half',
        ],
        'sign of x3 flipped': [
            'each corner on the right side of .5', 'every point of the data set on the right side of one half',
        ],
        'halved: exactly 0.5 at the True corners, not above it': [
            'each corner on the right side of .5', 'every point of the data set on the right side of one half',
        ],
        'x3 left out': [
            'each corner on the right side of .5', 'every point of the data set on the right side of one half',
        ],
        'an intercept in front': [
            'three weights, one for each of x1, x2 and x3', 'each corner on the right side of .5',
            'every point of the data set on the right side of one half',
        ],
    },
    'x3': {
        'x1 OR x2, as the document writes': [
            'x3 is x1 AND x2 at each corner', 'x3 is x1 AND x2 point by point, in the order of x',
        ],
        'x1 XOR x2 (the label)': [
            'x3 is x1 AND x2 at each corner', 'x3 is x1 AND x2 point by point, in the order of x',
        ],
        'x1 + x2': ['x3 is x1 AND x2 at each corner', 'x3 is x1 AND x2 point by point, in the order of x'],
        'x1 only': ['x3 is x1 AND x2 at each corner', 'x3 is x1 AND x2 point by point, in the order of x'],
    },
    'x_expanded': {
        'x3 first': ['its first two columns are x', 'its third column is your x3'],
        'rows instead of columns': [
            'x_expanded has one row per point and three columns', 'its first two columns are x',
            'its third column is your x3', 'single rows are (x1, x2, x3) of their point',
        ],
        'the label instead of x3': ['its third column is your x3', 'single rows are (x1, x2, x3) of their point'],
        'x2 left out': ['its first two columns are x'],
    },
    'dt': {
        'a stump (max_depth=1)': ['dt gets XOR right at the four corners', 'dt gets every point of the data set right'],
        'never trained': [
            'dt is trained on both columns of x', 'dt gets XOR right at the four corners',
            'dt.predict gives one number per point', 'dt gets every point of the data set right',
        ],
        'trained on x1 only': [
            'dt is trained on both columns of x', 'dt gets XOR right at the four corners',
            'dt.predict gives one number per point', 'dt gets every point of the data set right',
        ],
        'trained to predict x1': ['dt gets XOR right at the four corners', 'dt gets every point of the data set right'],
        'a DecisionTreeClassifier': ['dt is a DecisionTreeRegressor'],
    },
    'nn': {
        'default hidden layers (100,)': ['nn has two hidden layers of 100 units'],
        '(100) is one layer, not a tuple': ['nn has two hidden layers of 100 units'],
        'no activation (identity)': [
            'nn gets XOR right at the four corners', 'nn gets every point of the data set right',
        ],
        'never trained': [
            'nn is trained on both columns of x', 'nn gets XOR right at the four corners',
            'nn.predict gives one number per point', 'nn gets every point of the data set right',
        ],
        'an MLPClassifier': ['nn is an MLPRegressor'],
    },
    'first_lr': {
        'all zeros': ['every hidden unit has its own random weights'],
        'transposed': ['first_lr has shape (2, num_hidden)', 'every hidden unit has its own random weights'],
        'one weight per hidden unit': [
            'first_lr has shape (2, num_hidden)', 'every hidden unit has its own random weights',
        ],
        'all ones': ['every hidden unit has its own random weights'],
        'large: standard deviation 100': ['the weights are small'],
    },
    'second_lr': {
        'a column': ['second_lr is a flat vector of shape (num_hidden,)'],
        'a row': ['second_lr is a flat vector of shape (num_hidden,)'],
        'copied from first_lr': ['second_lr is a flat vector of shape (num_hidden,)'],
        'large: standard deviation 100': ['the weights are small'],
    },
    'leaky_relu': {
        'plain ReLU': [
            'leaky_relu of a positive and a negative number', 'leaky_relu of a 3x2 array, elementwise, input unchanged',
            'leaky_relu of an integer array', 'leaky_relu of single numbers, zero and small ones included',
            'leaky_relu of another array, elementwise', 'leaky_relu of another integer array',
        ],
        'slope 0.01': [
            'leaky_relu of a positive and a negative number', 'leaky_relu of a 3x2 array, elementwise, input unchanged',
            'leaky_relu of an integer array', 'leaky_relu of single numbers, zero and small ones included',
            'leaky_relu of another array, elementwise', 'leaky_relu of another integer array',
        ],
        'slope on the positive side': [
            'leaky_relu of a positive and a negative number', 'leaky_relu of a 3x2 array, elementwise, input unchanged',
            'leaky_relu of an integer array', 'leaky_relu of single numbers, zero and small ones included',
            'leaky_relu of another array, elementwise', 'leaky_relu of another integer array',
        ],
        "Python's max, numbers only": [
            'leaky_relu of a 3x2 array, elementwise, input unchanged', 'leaky_relu of an integer array',
            'leaky_relu of another array, elementwise', 'leaky_relu of another integer array',
        ],
        'modifies its input': [
            'leaky_relu of a positive and a negative number', 'leaky_relu of a 3x2 array, elementwise, input unchanged',
            'leaky_relu of an integer array', 'leaky_relu of single numbers, zero and small ones included',
            'leaky_relu of another array, elementwise', 'leaky_relu of another integer array',
        ],
        'a copy scaled in place, which integers refuse': [
            'leaky_relu of an integer array', 'leaky_relu of another integer array',
        ],
    },
    'compute_features': {
        'leaky relu applied already': [
            'compute_features: x @ first_lr, shape (n, num_hidden)', 'compute_features on other inputs',
        ],
        'transposed': ['compute_features: x @ first_lr, shape (n, num_hidden)', 'compute_features on other inputs'],
        'summed over hidden units': [
            'compute_features: x @ first_lr, shape (n, num_hidden)', 'compute_features on other inputs',
        ],
        'x1 only': ['compute_features: x @ first_lr, shape (n, num_hidden)', 'compute_features on other inputs'],
    },
    'compute_yhat': {
        'a column': ['compute_yhat: features @ second_lr, shape (n,)', 'compute_yhat on other inputs'],
        'thresholded': ['compute_yhat: features @ second_lr, shape (n,)', 'compute_yhat on other inputs'],
        'not summed': ['compute_yhat: features @ second_lr, shape (n,)', 'compute_yhat on other inputs'],
        'mean instead of sum': ['compute_yhat: features @ second_lr, shape (n,)', 'compute_yhat on other inputs'],
    },
    'compute_loss': {
        'sum instead of mean': [
            'compute_loss is the mean squared error', 'compute_loss is the mean squared error on other inputs',
        ],
        'mean error, squared': [
            'compute_loss is the mean squared error', 'compute_loss is the mean squared error on other inputs',
        ],
        'absolute error': [
            'compute_loss is the mean squared error', 'compute_loss is the mean squared error on other inputs',
            'compute_loss of a single point',
        ],
        'root mean squared error': [
            'compute_loss is the mean squared error', 'compute_loss is the mean squared error on other inputs',
            'compute_loss of a single point',
        ],
        'one squared error per point': [
            'compute_loss returns one number', 'compute_loss is the mean squared error',
            'compute_loss returns one number on other inputs', 'compute_loss is the mean squared error on other inputs',
            'compute_loss of a single point',
        ],
    },
    'compute_dl_dyhat': {
        'derivative of the summed loss': [
            'compute_dl_dyhat: one derivative per point',
            'compute_dl_dyhat matches the numerical derivative of your compute_loss',
            'compute_dl_dyhat on other inputs',
            'compute_dl_dyhat matches the numerical derivative of the mean squared error',
        ],
        'forgot the 2': [
            'compute_dl_dyhat: one derivative per point',
            'compute_dl_dyhat matches the numerical derivative of your compute_loss',
            'compute_dl_dyhat on other inputs',
            'compute_dl_dyhat matches the numerical derivative of the mean squared error',
        ],
        'sign flipped': [
            'compute_dl_dyhat: one derivative per point',
            'compute_dl_dyhat matches the numerical derivative of your compute_loss',
            'compute_dl_dyhat on other inputs',
            'compute_dl_dyhat matches the numerical derivative of the mean squared error',
        ],
        'averaged to one number': [
            'compute_dl_dyhat: one derivative per point',
            'compute_dl_dyhat matches the numerical derivative of your compute_loss',
            'compute_dl_dyhat on other inputs',
            'compute_dl_dyhat matches the numerical derivative of the mean squared error',
        ],
    },
    'compute_dl_dsecond_lr': {
        'averaged over the points again': [
            'compute_dl_dsecond_lr: summed over the points, shape (num_hidden,)',
            'compute_dl_dsecond_lr matches the numerical gradient', 'compute_dl_dsecond_lr on other inputs',
            'compute_dl_dsecond_lr matches the numerical gradient of the loss',
        ],
        'not summed over the points': [
            'compute_dl_dsecond_lr: summed over the points, shape (num_hidden,)',
            'compute_dl_dsecond_lr matches the numerical gradient', 'compute_dl_dsecond_lr on other inputs',
            'compute_dl_dsecond_lr matches the numerical gradient of the loss',
        ],
        'sign flipped': [
            'compute_dl_dsecond_lr: summed over the points, shape (num_hidden,)',
            'compute_dl_dsecond_lr matches the numerical gradient', 'compute_dl_dsecond_lr on other inputs',
            'compute_dl_dsecond_lr matches the numerical gradient of the loss',
        ],
        'sums multiplied': [
            'compute_dl_dsecond_lr: summed over the points, shape (num_hidden,)',
            'compute_dl_dsecond_lr matches the numerical gradient', 'compute_dl_dsecond_lr on other inputs',
            'compute_dl_dsecond_lr matches the numerical gradient of the loss',
        ],
    },
    'compute_dl_dfeatures': {
        'transposed': [
            'compute_dl_dfeatures: shape (n, num_hidden)', 'compute_dl_dfeatures matches the numerical gradient',
            'compute_dl_dfeatures on other inputs', 'compute_dl_dfeatures matches the numerical gradient of the loss',
        ],
        'summed over the points': [
            'compute_dl_dfeatures: shape (n, num_hidden)', 'compute_dl_dfeatures matches the numerical gradient',
            'compute_dl_dfeatures on other inputs', 'compute_dl_dfeatures matches the numerical gradient of the loss',
        ],
        'only the sum of the weights': [
            'compute_dl_dfeatures: shape (n, num_hidden)', 'compute_dl_dfeatures matches the numerical gradient',
            'compute_dl_dfeatures on other inputs', 'compute_dl_dfeatures matches the numerical gradient of the loss',
        ],
        'divided by n again': [
            'compute_dl_dfeatures: shape (n, num_hidden)', 'compute_dl_dfeatures matches the numerical gradient',
            'compute_dl_dfeatures on other inputs', 'compute_dl_dfeatures matches the numerical gradient of the loss',
        ],
    },
    'compute_dl_dfirst_lr': {
        'transposed': [
            'compute_dl_dfirst_lr: shape (2, num_hidden)', 'compute_dl_dfirst_lr matches the numerical gradient',
            'compute_dl_dfirst_lr on other inputs', 'compute_dl_dfirst_lr matches the numerical gradient of the loss',
        ],
        'averaged over the points': [
            'compute_dl_dfirst_lr: shape (2, num_hidden)', 'compute_dl_dfirst_lr matches the numerical gradient',
            'compute_dl_dfirst_lr on other inputs', 'compute_dl_dfirst_lr matches the numerical gradient of the loss',
        ],
        'sign flipped': [
            'compute_dl_dfirst_lr: shape (2, num_hidden)', 'compute_dl_dfirst_lr matches the numerical gradient',
            'compute_dl_dfirst_lr on other inputs', 'compute_dl_dfirst_lr matches the numerical gradient of the loss',
        ],
        'forgot x': [
            'compute_dl_dfirst_lr: shape (2, num_hidden)', 'compute_dl_dfirst_lr matches the numerical gradient',
            'compute_dl_dfirst_lr on other inputs', 'compute_dl_dfirst_lr matches the numerical gradient of the loss',
        ],
    },
    'compute_dl_dpre_relu': {
        'forgot the leaky relu': [
            'compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu',
            'compute_dl_dpre_relu matches the numerical gradient through your leaky_relu',
            'compute_dl_dpre_relu on other inputs',
            'compute_dl_dpre_relu matches the numerical gradient through the leaky ReLU',
        ],
        "the ReLU's derivative": [
            'compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu',
            'compute_dl_dpre_relu matches the numerical gradient through your leaky_relu',
            'compute_dl_dpre_relu on other inputs',
            'compute_dl_dpre_relu matches the numerical gradient through the leaky ReLU',
        ],
        'slopes swapped': [
            'compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu',
            'compute_dl_dpre_relu matches the numerical gradient through your leaky_relu',
            'compute_dl_dpre_relu on other inputs',
            'compute_dl_dpre_relu matches the numerical gradient through the leaky ReLU',
        ],
        'times the activation, not its derivative': [
            'compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu',
            'compute_dl_dpre_relu matches the numerical gradient through your leaky_relu',
            'compute_dl_dpre_relu on other inputs',
            'compute_dl_dpre_relu matches the numerical gradient through the leaky ReLU',
        ],
        'scales dl_dfeatures in place': [
            'compute_dl_dpre_relu: times 1 or 0.1 by the sign of pre_relu',
            'compute_dl_dpre_relu matches the numerical gradient through your leaky_relu',
            'compute_dl_dpre_relu on other inputs',
            'compute_dl_dpre_relu matches the numerical gradient through the leaky ReLU',
        ],
    },
    'train_without_activation': {
        'gradient ascent': [
            'one update moves first_lr by lr times its gradient', 'one update moves second_lr by lr times its gradient',
            'after 100 steps the loss is the best of a linear function without an intercept',
            'one update moves first_lr by lr times its gradient, on other data',
            'one update moves second_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'first_lr never updated': [
            'one update moves first_lr by lr times its gradient',
            'one update moves first_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'learning rate left out': [
            'one update moves first_lr by lr times its gradient', 'one update moves second_lr by lr times its gradient',
            'one update moves first_lr by lr times its gradient, on other data',
            'one update moves second_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'second_lr updated before dl_dfeatures': [
            'one update moves first_lr by lr times its gradient',
            'one update moves first_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'loss recorded after the update': [
            'the loss is recorded before the update', 'the loss is recorded before the update, on other data',
            'each loss is recorded before its update',
        ],
    },
    'train_with_leaky_relu': {
        "forgot the leaky relu's derivative": [
            'one update moves first_lr by lr times its gradient', 'after 100 steps every point is right',
            'the weights it returns classify the four corners right',
            'one update moves first_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'dl_dsecond_lr from the values before the leaky relu': [
            'one update moves second_lr by lr times its gradient',
            'one update moves second_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'no leaky relu in the forward pass': [
            'the loss is that of the network with the leaky ReLU, before the update', 'one update moves first_lr by lr times its gradient',
            'one update moves second_lr by lr times its gradient', 'after 100 steps every point is right',
            'the weights it returns classify the four corners right',
            'the loss is recorded before the update, on other data',
            'one update moves first_lr by lr times its gradient, on other data',
            'one update moves second_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'gradient ascent': [
            'one update moves first_lr by lr times its gradient', 'one update moves second_lr by lr times its gradient',
            'after 100 steps every point is right', 'the weights it returns classify the four corners right',
            'one update moves first_lr by lr times its gradient, on other data',
            'one update moves second_lr by lr times its gradient, on other data',
            'each loss is recorded before its update', 'each update starts from the first_lr the update before left',
            'each update starts from the second_lr the update before left',
        ],
        'never trains: zero weights, made-up accuracies of 1.0': [
            'the weights it returns classify the four corners right',
        ],
    },
}

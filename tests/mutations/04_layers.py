"""Grading validity of 04_layers: realistic wrong answers and other right ones, per exercise.

Each WRONG entry must lose exactly its exercise's points; each RIGHT entry must keep them.
Changes are (old, new) replacements in the answer-key cell, or a whole new cell.
"""

WRONG = {
    "mae": {
        "derivative summed into one number": (
            "return np.sign(y_pred - y_real) / n", "return np.sum(np.sign(y_pred - y_real)) / n"),
        "derivative sign flipped": ("np.sign(y_pred - y_real) / n", "np.sign(y_real - y_pred) / n"),
        "derivative not divided by n": (
            "return np.sign(y_pred - y_real) / n", "return np.sign(y_pred - y_real)"),
        "loss without the absolute value": (
            "np.sum(np.abs(y_real - y_pred)) / n", "np.sum(y_real - y_pred) / n"),
        "derivative 1 at an error of 0": (
            "return np.sign(y_pred - y_real) / n", "return np.where(y_pred - y_real >= 0, 1.0, -1.0) / n"),
        "loss summed over axis 0: an array of shape (1,) for columns": (
            "return np.sum(np.abs(y_real - y_pred)) / n", "return np.sum(np.abs(y_real - y_pred), axis=0) / n"),
    },
    "mse": {
        "the document's derivative: one summed number": (
            "return 2 * (y_pred - y_real) / n", "return np.sum(2 * (y_pred - y_real) / n)"),
        "derivative without the factor 2": ("2 * (y_pred - y_real) / n", "(y_pred - y_real) / n"),
        "derivative sign flipped": ("2 * (y_pred - y_real) / n", "2 * (y_real - y_pred) / n"),
        "errors not squared": ("np.sum((y_real - y_pred) ** 2) / n", "np.sum(np.abs(y_real - y_pred)) / n"),
        "loss summed over axis 0: an array of shape (1,) for columns": (
            "return np.sum((y_real - y_pred) ** 2) / n", "return np.sum((y_real - y_pred) ** 2, axis=0) / n"),
        "derivative flattened to shape (n,)": (
            "return 2 * (y_pred - y_real) / n", "return 2 * (y_pred - y_real).flatten() / n"),
    },
    "softmax": {
        "no max shift: overflows": ("np.exp(x - x.max(axis=1, keepdims=True))", "np.exp(x)"),
        "shifted by the maximum of the whole array": ("x.max(axis=1, keepdims=True)", "x.max()"),
        "normalised over the batch axis": ("e_x.sum(axis=1, keepdims=True)", "e_x.sum(axis=0, keepdims=True)"),
        "Jacobian without its off-diagonal terms": (
            "J = -res[:, :, None] * res[:, None, :]", "J = np.zeros((len(x), x.shape[1], x.shape[1]))"),
        "Jacobian diagonal s instead of s(1 - s)": ("J[:, iy, ix] = res * (1.0 - res)", "J[:, iy, ix] = res"),
    },
    "cross_entropy_loss": {
        "sum over the batch instead of the mean": (
            "return -np.sum(y_real * log_probs) / n_obs", "return -np.sum(y_real * log_probs)"),
        "gradient sign flipped": ("(softmax(y_pred) - y_real) / n_obs", "(y_real - softmax(y_pred)) / n_obs"),
        "gradient not divided by n": (
            "return (softmax(y_pred) - y_real) / n_obs", "return softmax(y_pred) - y_real"),
        "log of the logits, no softmax": (
            "return -np.sum(y_real * log_probs) / n_obs", "return -np.sum(y_real * np.log(y_pred + 1e-6)) / n_obs"),
        "exponentials of large logits overflow": (
            "    shifted = y_pred - y_pred.max(axis=1, keepdims=True)\n"
            "    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n",
            "    log_probs = np.log(np.exp(y_pred) / np.sum(np.exp(y_pred), axis=1, keepdims=True))\n"),
        "log of softmax's output: nan once a probability rounds to 0 (issue 15, case 6)": (
            "    shifted = y_pred - y_pred.max(axis=1, keepdims=True)\n"
            "    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n",
            "    log_probs = np.log(softmax(y_pred))\n"),
    },
    "LinearLayer": {
        "forgets to cache the input": ('        self._cache_current = {"x": x}  # Store input\n', ""),
        "gradient of W averaged, not summed, over the batch": (
            "self._grad_W_current = x.T @ grad_z", "self._grad_W_current = x.T @ grad_z / len(x)"),
        "gradient of W transposed: shape (n_out, n_in)": (
            "self._grad_W_current = x.T @ grad_z", "self._grad_W_current = grad_z.T @ x"),
        "bias gradient not summed over the batch": (
            "self._grad_b_current = np.sum(grad_z, axis=0, keepdims=True)", "self._grad_b_current = grad_z"),
        "bias gradient missing": ("self._grad_b_current = np.sum(grad_z, axis=0, keepdims=True)", "pass"),
        "input gradient without the transpose": ("return grad_z @ self._W.T", "return grad_z @ self._W"),
        "forward forgets the bias": ("z = x @ self._W + self._b", "z = x @ self._W"),
        "update goes uphill": [("self._W = self._W - learning_rate", "self._W = self._W + learning_rate"),
                               ("self._b = self._b - learning_rate", "self._b = self._b + learning_rate")],
    },
    "sigmoid": {
        "sign flipped in the exponent": ("np.exp(-x)", "np.exp(x)"),
        "derivative x(1 - x) of the input": ("return s * (1 - s)", "return x * (1 - x)"),
        "derivative forgotten": ("return s * (1 - s)", "return s"),
        "derivative 1 - s": ("return s * (1 - s)", "return 1 - s"),
        "exp(x) / (1 + exp(x)): nan for large inputs": ("s = 1 / (1 + np.exp(-x))", "s = np.exp(x) / (1 + np.exp(x))"),
        "arrays only: a single number has no astype": (
            "s = 1 / (1 + np.exp(-x))", "s = 1 / (1 + np.exp(-x.astype(float)))"),
    },
    "SigmoidLayer": {
        "forgets to cache the input": ('        self._cache_current = {"x": x}\n', ""),
        "passes grad_z through unchanged": ("grad = grad_z * sigmoid(x, derivative=True)", "grad = grad_z"),
        "local derivative only, grad_z ignored": (
            "grad = grad_z * sigmoid(x, derivative=True)", "grad = sigmoid(x, derivative=True)"),
        "derivative taken at the output": (
            "grad = grad_z * sigmoid(x, derivative=True)", "grad = grad_z * sigmoid(sigmoid(x), derivative=True)"),
    },
    "SoftmaxLayer": {
        "the document's backward": (
            '        J = softmax(x, derivative=True)  # (batch_size, n_in, n_in), J[k, i, j] = d s_i / d x_j\n'
            '        grad = np.einsum("ki,kij->kj", grad_z, J)\n',
            "        J = softmax(x, derivative=True)\n"
            "        J = J.sum(axis=1)  # sum across rows for each sample\n"
            "        grad = np.multiply(J, grad_z)\n"),
        "diagonal of the Jacobian only": (
            'grad = np.einsum("ki,kij->kj", grad_z, J)', 'grad = grad_z * np.einsum("kii->ki", J)'),
        "forgets to cache the input": ('        self._cache_current = {"x": x}\n', ""),
        "forward without the max shift": (
            "        return softmax(x)\n",
            "        e = np.exp(x)\n        return e / e.sum(axis=1, keepdims=True)\n"),
    },
    "relu": {
        "derivative on the wrong side": ("r_ = (x > 0).astype(float)", "r_ = (x < 0).astype(float)"),
        "derivative returns x where positive": ("r_ = (x > 0).astype(float)", "r_ = np.maximum(x, 0)"),
        "min instead of max": ("r = np.maximum(x, 0)", "r = np.minimum(x, 0)"),
        "clips the input in place": ("    r = np.maximum(x, 0)\n", "    x[x < 0] = 0\n    r = x\n"),
        "derivative 1 at x = 0": ("r_ = (x > 0).astype(float)", "r_ = (x >= 0).astype(float)"),
    },
    "ReLULayer": {
        "mask on the wrong side": ("grad = grad_z * relu(x, derivative=True)", "grad = grad_z * (x < 0)"),
        "mask from grad_z instead of x": ("grad = grad_z * relu(x, derivative=True)", "grad = grad_z * (grad_z > 0)"),
        "returns the mask, not the gradient": (
            "grad = grad_z * relu(x, derivative=True)", "grad = relu(x, derivative=True)"),
        "forgets to cache the input": ('        self._cache_current = {"x": x}\n', ""),
        "forward clips the input in place": ("        r = relu(x)\n", "        x[x < 0] = 0\n        r = x\n"),
    },
    "MultiLayerNetwork": {
        "backward in forward order": ("for layer in reversed(self._layers):", "for layer in self._layers:"),
        "forward gives every layer the network's input": ("output = layer(output)", "output = layer(x)"),
        "backward gives every layer the network's gradient": (
            "grad = layer.backward(grad)", "grad = layer.backward(grad_z)"),
        "update_params updates the last layer only": (
            "        for layer in self._layers:\n            layer.update_params(learning_rate)",
            "        self._layers[-1].update_params(learning_rate)"),
        "add replaces the list": ("self._layers.append(layer)", "self._layers = [layer]"),
    },
    "create_model": {
        "no ReLU between the linear layers": ("        if i > 0:\n            model.add(ReLULayer())\n", ""),
        "a ReLU after the last layer too": (
            "        if i > 0:\n            model.add(ReLULayer())\n        model.add(LinearLayer(n_in, n_out))\n",
            "        model.add(LinearLayer(n_in, n_out))\n        model.add(ReLULayer())\n"),
        "sizes swapped": ("LinearLayer(n_in, n_out)", "LinearLayer(n_out, n_in)"),
        "sigmoid instead of ReLU": ("model.add(ReLULayer())", "model.add(SigmoidLayer())"),
        "always two linear layers": (
            "    for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):\n"
            "        if i > 0:\n            model.add(ReLULayer())\n        model.add(LinearLayer(n_in, n_out))\n",
            "    model.add(LinearLayer(layer_sizes[0], layer_sizes[1]))\n    model.add(ReLULayer())\n"
            "    model.add(LinearLayer(layer_sizes[1], layer_sizes[-1]))\n"),
    },
    "train": {
        "backpropagates the loss instead of its gradient": (
            "grad = cross_entropy_loss(y_batch, y_pred, derivative=True)", "grad = cross_entropy_loss(y_batch, y_pred)"),
        "overwrites the epoch's loss instead of adding to it": (
            "loss += cross_entropy_loss", "loss = cross_entropy_loss"),
        "predicts the whole training set at every batch": ("y_pred = model(X_batch)", "y_pred = model(X_train)"),
        "accuracy of one-hot rows against labels": (
            "acc += accuracy(np.argmax(y_batch, axis=1), np.argmax(y_pred, axis=1))",
            "acc += accuracy(y_batch, np.argmax(y_pred, axis=1))"),
        "never updates the parameters": ("            model.update_params(lr)\n", ""),
        "updates with -lr": ("model.update_params(lr)", "model.update_params(-lr)"),
        "never shuffles": (
            "        X_train_sh, y_train_sh = shuffle(X_train, y_train)\n", "        X_train_sh, y_train_sh = X_train, y_train\n"),
        "batches of get_batches' default 64 rows, not batch_size": (
            "get_batches(X_train_sh, batch_size), get_batches(y_train_sh, batch_size)",
            "get_batches(X_train_sh), get_batches(y_train_sh)"),
    },
    "SGDMomentum": {
        "no memory: plain SGD": ("v_W, v_b = self.velocity.get(layer, (0.0, 0.0))", "v_W, v_b = 0.0, 0.0"),
        "one velocity shared by all layers": [
            ("self.velocity.get(layer, (0.0, 0.0))", 'self.velocity.get("all", (0.0, 0.0))'),
            ("self.velocity[layer] = (v_W, v_b)", 'self.velocity["all"] = (v_W, v_b)')],
        "velocity of the opposite sign": [
            ("v_W = self.momentum * v_W + layer._grad_W_current", "v_W = self.momentum * v_W - layer._grad_W_current"),
            ("v_b = self.momentum * v_b + layer._grad_b_current", "v_b = self.momentum * v_b - layer._grad_b_current")],
        "bias updated without momentum": (
            "layer._b = layer._b - self.learning_rate * v_b",
            "layer._b = layer._b - self.learning_rate * layer._grad_b_current"),
        "first velocity the gradient, then updated again": (
            "self.velocity.get(layer, (0.0, 0.0))",
            "self.velocity.get(layer, (layer._grad_W_current, layer._grad_b_current))"),
    },
    "Adam": {
        "no bias correction": (
            'correction1, correction2 = 1 - self.beta1 ** s["t"], 1 - self.beta2 ** s["t"]',
            "correction1, correction2 = 1.0, 1.0"),
        "one step counter for all layers": [
            ('s["t"] += 1', 'self.t = getattr(self, "t", 0) + 1'),
            ('1 - self.beta1 ** s["t"], 1 - self.beta2 ** s["t"]', "1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t")],
        "v averages the gradients, not their squares": [
            ("(1 - self.beta2) * g_W ** 2", "(1 - self.beta2) * g_W"),
            ("(1 - self.beta2) * g_b ** 2", "(1 - self.beta2) * g_b")],
        "bias correction with the step count before the increment": (
            'correction1, correction2 = 1 - self.beta1 ** s["t"], 1 - self.beta2 ** s["t"]',
            'correction1, correction2 = 1 - self.beta1 ** (s["t"] - 1), 1 - self.beta2 ** (s["t"] - 1)'),
        "no epsilon: 0 / 0 where a gradient is 0": [
            ('(np.sqrt(s["v_W"] / correction2) + self.eps)', 'np.sqrt(s["v_W"] / correction2)'),
            ('(np.sqrt(s["v_b"] / correction2) + self.eps)', 'np.sqrt(s["v_b"] / correction2)')],
    },
    "he_initialize_weights": {
        "LeCun's sqrt(1 / n_in)": ("np.sqrt(2 / input_size)", "np.sqrt(1 / input_size)"),
        "the variance used as the standard deviation": ("np.sqrt(2 / input_size)", "2 / input_size"),
        "fan-out instead of fan-in": ("np.sqrt(2 / input_size)", "np.sqrt(2 / output_size)"),
        "the document's comment: uniform(-1, 1) plus sqrt(2 / n_in)": (
            "return np.random.normal(0.0, np.sqrt(2 / input_size), (input_size, output_size))",
            "return np.random.uniform(-1, 1, (input_size, output_size)) + np.sqrt(2 / input_size)"),
        "an unseeded generator": (
            "return np.random.normal(0.0,", "return np.random.default_rng().normal(0.0,"),
        "shape (output_size, input_size)": ("(input_size, output_size))", "(output_size, input_size))"),
    },
}

RIGHT = {
    "mae": {
        "np.mean and np.where": '''\
def mae(y_real, y_pred, derivative=False):
    if derivative:
        return np.where(y_pred > y_real, 1.0, np.where(y_pred < y_real, -1.0, 0.0)) / y_real.shape[0]
    return np.mean(np.abs(y_pred - y_real))
''',
        "a loop over the predictions": '''\
def mae(y_real, y_pred, derivative=False):
    n = len(y_real)
    if derivative:
        grad = np.zeros(np.shape(y_pred))
        for i in np.ndindex(grad.shape):
            if y_pred[i] > y_real[i]:
                grad[i] = 1 / n
            elif y_pred[i] < y_real[i]:
                grad[i] = -1 / n
        return grad
    total = 0.0
    for real, pred in zip(np.ravel(y_real), np.ravel(y_pred)):
        total += abs(real - pred)
    return total / n
''',
    },
    "mse": {
        "np.mean, derivative as -2 (y - h) / N": '''\
def mse(y_real, y_pred, derivative=False):
    if derivative:
        return -2.0 * (y_real - y_pred) / y_real.shape[0]
    return np.mean((y_pred - y_real) ** 2)
''',
        "np.square and y_pred.size": '''\
def mse(y_real, y_pred, derivative=False):
    errors = np.subtract(y_pred, y_real)
    if derivative:
        return 2 * errors / errors.shape[0]
    return float(np.square(errors).sum() / errors.shape[0])
''',
    },
    "softmax": {
        "scipy's softmax, Jacobian with einsum": '''\
from scipy.special import softmax as scipy_softmax


def softmax(x, derivative=False):
    s = scipy_softmax(x, axis=1)
    if derivative:
        return np.einsum("ki,ij->kij", s, np.eye(x.shape[1])) - np.einsum("ki,kj->kij", s, s)
    return s
''',
        "a loop over the rows, Jacobian as diag(s) - s s^T": '''\
def softmax(x, derivative=False):
    out = np.empty(x.shape)
    for k in range(x.shape[0]):
        e = np.exp(x[k] - np.max(x[k]))
        out[k] = e / np.sum(e)
    if not derivative:
        return out
    return np.stack([np.diag(s) - np.outer(s, s) for s in out])
''',
    },
    "cross_entropy_loss": {
        "the document's: softmax with 1e-6 inside the log": '''\
def cross_entropy_loss(y_real, y_pred, derivative=False):
    n_obs = len(y_real)
    probs = softmax(y_pred)

    if derivative:
        return -1 / n_obs * (y_real - probs)

    return -1 / n_obs * np.sum(y_real * np.log(probs + .000001))
''',
        "scipy's log_softmax": '''\
from scipy.special import log_softmax


def cross_entropy_loss(y_real, y_pred, derivative=False):
    if derivative:
        return (np.exp(log_softmax(y_pred, axis=1)) - y_real) / y_real.shape[0]
    return -np.mean(np.sum(y_real * log_softmax(y_pred, axis=1), axis=1))
''',
        "logsumexp row by row": '''\
from scipy.special import logsumexp


def cross_entropy_loss(y_real, y_pred, derivative=False):
    n_obs = len(y_real)
    if derivative:
        return (np.exp(y_pred - logsumexp(y_pred, axis=1, keepdims=True)) - y_real) / n_obs
    total = 0.0
    for k in range(n_obs):
        total += logsumexp(y_pred[k]) - np.dot(y_real[k], y_pred[k])
    return total / n_obs
''',
    },
    "LinearLayer": {
        "np.dot, a flat bias gradient as in the document, in-place updates": '''\
class LinearLayer(Layer):
    def __init__(self, n_in, n_out):
        self.n_in = n_in
        self.n_out = n_out
        self._W = initialize_weights(n_in, n_out)
        self._b = np.zeros((1, n_out))
        self._cache_current = None
        self._grad_W_current = None
        self._grad_b_current = None

    def forward(self, x):
        self._cache_current = x
        return np.dot(x, self._W) + self._b

    def backward(self, grad_z):
        x = self._cache_current
        self._grad_W_current = x.T.dot(grad_z)
        self._grad_b_current = np.ones(len(x)).dot(grad_z)
        return grad_z.dot(self._W.T)

    def update_params(self, learning_rate):
        self._W -= learning_rate * self._grad_W_current
        self._b -= learning_rate * self._grad_b_current
''',
        "einsum, the bias gradient as ones @ grad_z": '''\
class LinearLayer(Layer):
    def __init__(self, n_in, n_out):
        self.n_in = n_in
        self.n_out = n_out
        self._W = initialize_weights(n_in, n_out)
        self._b = np.zeros((1, n_out))
        self._cache_current = None
        self._grad_W_current = None
        self._grad_b_current = None

    def forward(self, x):
        self._cache_current = {"input": np.array(x)}
        return np.einsum("ki,ij->kj", x, self._W) + self._b

    def backward(self, grad_z):
        x = self._cache_current["input"]
        self._grad_W_current = np.einsum("ki,kj->ij", x, grad_z)
        self._grad_b_current = np.ones((1, len(x))) @ grad_z
        return np.einsum("kj,ij->ki", grad_z, self._W)

    def update_params(self, learning_rate):
        self._W = self._W - learning_rate * self._grad_W_current
        self._b = self._b - learning_rate * self._grad_b_current
''',
        "a loop over the samples": '''\
class LinearLayer(Layer):
    def __init__(self, n_in, n_out):
        self.n_in = n_in
        self.n_out = n_out
        self._W = initialize_weights(n_in, n_out)
        self._b = np.zeros((1, n_out))
        self._cache_current = None
        self._grad_W_current = None
        self._grad_b_current = None

    def forward(self, x):
        self._cache_current = x
        z = np.zeros((len(x), self.n_out))
        for k in range(len(x)):
            z[k] = x[k] @ self._W + self._b[0]
        return z

    def backward(self, grad_z):
        x = self._cache_current
        self._grad_W_current = np.zeros(self._W.shape)
        self._grad_b_current = np.zeros(self._b.shape)
        grad_x = np.zeros((len(x), self.n_in))
        for k in range(len(x)):
            self._grad_W_current += np.outer(x[k], grad_z[k])
            self._grad_b_current += grad_z[k]
            grad_x[k] = self._W @ grad_z[k]
        return grad_x

    def update_params(self, learning_rate):
        self._W = self._W - learning_rate * self._grad_W_current
        self._b = self._b - learning_rate * self._grad_b_current
''',
    },
    "sigmoid": {
        "scipy's expit": '''\
from scipy.special import expit


def sigmoid(x, derivative=False):
    s = expit(x)
    return s * (1 - s) if derivative else s
''',
        "tanh form": '''\
def sigmoid(x, derivative=False):
    s = 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=float)))
    if derivative:
        return s - s ** 2
    return s
''',
        "np.where: never exp of a large positive number": '''\
def sigmoid(x, derivative=False):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    if derivative:
        return s * (1 - s)
    return s if s.ndim else float(s)
''',
    },
    "SigmoidLayer": {
        "caches the output": '''\
class SigmoidLayer(Layer):
    def __init__(self):
        self._cache_current = None

    def forward(self, x):
        s = sigmoid(x)
        self._cache_current = s
        return s

    def backward(self, grad_z):
        s = self._cache_current
        return grad_z * s * (1 - s)
''',
        "the derivative written out with exp": '''\
class SigmoidLayer(Layer):
    def __init__(self):
        self._cache_current = None

    def forward(self, x):
        self._cache_current = {"x": x.copy()}
        return 1 / (1 + np.exp(-x))

    def backward(self, grad_z):
        x = self._cache_current["x"]
        s = 1 / (1 + np.exp(-x))
        return np.multiply(grad_z, s - s * s)
''',
    },
    "SoftmaxLayer": {
        "no Jacobian: s * (g - sum(g * s))": '''\
class SoftmaxLayer(Layer):
    def __init__(self):
        self._cache_current = None

    def forward(self, x):
        s = softmax(x)
        self._cache_current = {"s": s}
        return s

    def backward(self, grad_z):
        s = self._cache_current["s"]
        return s * (grad_z - np.sum(grad_z * s, axis=1, keepdims=True))
''',
        "a loop over the rows with np.outer": '''\
class SoftmaxLayer(Layer):
    def __init__(self):
        self._cache_current = None

    def forward(self, x):
        self._cache_current = {"x": x}
        return softmax(x)

    def backward(self, grad_z):
        probs = softmax(self._cache_current["x"])
        grad = np.zeros_like(grad_z, dtype=float)
        for k in range(len(probs)):
            J = np.diag(probs[k]) - np.outer(probs[k], probs[k])
            grad[k] = grad_z[k] @ J
        return grad
''',
    },
    "relu": {
        "np.where, derivative (x > 0) * 1.0": '''\
def relu(x, derivative=False):
    if derivative:
        return (x > 0) * 1.0
    return np.where(x > 0, x, 0.0)
''',
        "x * (x > 0) and np.heaviside": '''\
def relu(x, derivative=False):
    if derivative:
        return np.heaviside(x, 0.0)
    return x * (x > 0)
''',
    },
    "ReLULayer": {
        "caches a boolean mask": '''\
class ReLULayer(Layer):
    def __init__(self):
        self._cache_current = None

    def forward(self, x):
        mask = x > 0
        self._cache_current = {"mask": mask}
        return np.where(mask, x, 0.0)

    def backward(self, grad_z):
        return grad_z * self._cache_current["mask"]
''',
        "np.clip forward, np.where backward": '''\
class ReLULayer(Layer):
    def __init__(self):
        self._cache_current = None

    def forward(self, x):
        self._cache_current = {"x": x}
        return np.clip(x, 0, None)

    def backward(self, grad_z):
        return np.where(self._cache_current["x"] > 0, grad_z, 0.0)
''',
    },
    "MultiLayerNetwork": {
        "indexes the layers, calls forward explicitly": '''\
class MultiLayerNetwork:
    def __init__(self):
        self._layers = []

    def __call__(self, x):
        return self.forward(x)

    def add(self, layer):
        self._layers += [layer]

    def forward(self, x):
        for i in range(len(self._layers)):
            x = self._layers[i].forward(x)
        return x

    def backward(self, grad_z):
        for i in range(len(self._layers) - 1, -1, -1):
            grad_z = self._layers[i].backward(grad_z)
        return grad_z

    def update_params(self, learning_rate):
        for layer in self._layers[::-1]:
            layer.update_params(learning_rate)
''',
        "updates only the LinearLayers (issue 15, case 3)": (
            "        for layer in self._layers:\n            layer.update_params(learning_rate)",
            "        for layer in self._layers:\n            if isinstance(layer, LinearLayer):\n"
            "                layer.update_params(learning_rate)"),
        "updates only the layers with a _W, as OptimizedNetwork does": (
            "        for layer in self._layers:\n            layer.update_params(learning_rate)",
            "        for layer in self._layers:\n            if hasattr(layer, \"_W\"):\n"
            "                layer.update_params(learning_rate)"),
    },
    "create_model": {
        "a ReLU after every linear layer but the last": '''\
def create_model(layer_sizes):
    model = MultiLayerNetwork()
    n_layers = len(layer_sizes) - 1
    for i in range(n_layers):
        model.add(LinearLayer(layer_sizes[i], layer_sizes[i + 1]))
        if i < n_layers - 1:
            model.add(ReLULayer())
    return model
''',
        "the layers listed first, then added": '''\
def create_model(layer_sizes):
    model = MultiLayerNetwork()
    layers = [LinearLayer(layer_sizes[0], layer_sizes[1])]
    for n_in, n_out in zip(layer_sizes[1:-1], layer_sizes[2:]):
        layers += [ReLULayer(), LinearLayer(n_in, n_out)]
    for layer in layers:
        model.add(layer)
    return model
''',
    },
    "train": {
        "model.forward, the gradient written out with softmax": [
            ("            y_pred = model(X_batch)\n", "            y_pred = model.forward(X_batch)\n"),
            ("grad = cross_entropy_loss(y_batch, y_pred, derivative=True)",
             "grad = (softmax(y_pred) - y_batch) / len(y_batch)")],
        "np.mean for the accuracy, the gradient passed straight to backward": [
            ("            acc += accuracy(np.argmax(y_batch, axis=1), np.argmax(y_pred, axis=1))\n",
             "            acc += np.mean(y_batch.argmax(axis=1) == y_pred.argmax(axis=1))\n"),
            ("            grad = cross_entropy_loss(y_batch, y_pred, derivative=True)\n"
             "            model.backward(grad)\n",
             "            model.backward(cross_entropy_loss(y_batch, y_pred, derivative=True))\n")],
    },
    "SGDMomentum": {
        "classic form: v = mu v - lr g, W += v, keyed by id": '''\
class SGDMomentum:
    def __init__(self, learning_rate=0.1, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocity = {}

    def update(self, layer):
        key = id(layer)
        if key not in self.velocity:
            self.velocity[key] = [np.zeros_like(layer._W), np.zeros_like(layer._b)]
        v = self.velocity[key]
        v[0] = self.momentum * v[0] - self.learning_rate * layer._grad_W_current
        v[1] = self.momentum * v[1] - self.learning_rate * layer._grad_b_current
        layer._W = layer._W + v[0]
        layer._b = layer._b + v[1]
''',
        "velocities kept on the layer object": '''\
class SGDMomentum:
    def __init__(self, learning_rate=0.1, momentum=0.9):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.velocity = {}

    def update(self, layer):
        v_W = self.momentum * getattr(layer, "_velocity_W", 0) + layer._grad_W_current
        v_b = self.momentum * getattr(layer, "_velocity_b", 0) + layer._grad_b_current
        layer._velocity_W, layer._velocity_b = v_W, v_b
        layer._W = layer._W - self.learning_rate * v_W
        layer._b = layer._b - self.learning_rate * v_b
''',
    },
    "Adam": {
        "eps inside the square root, state in lists": '''\
class Adam:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.state = {}

    def update(self, layer):
        t, m, v = self.state.get(layer, (0, [0.0, 0.0], [0.0, 0.0]))
        t += 1
        params = [layer._W, layer._b]
        grads = [layer._grad_W_current, layer._grad_b_current]
        for i in range(2):
            m[i] = self.beta1 * m[i] + (1 - self.beta1) * grads[i]
            v[i] = self.beta2 * v[i] + (1 - self.beta2) * grads[i] * grads[i]
            m_hat = m[i] / (1 - self.beta1 ** t)
            v_hat = v[i] / (1 - self.beta2 ** t)
            params[i] = params[i] - self.learning_rate * m_hat / np.sqrt(v_hat + self.eps)
        layer._W, layer._b = params
        self.state[layer] = (t, m, v)
''',
        "the paper's efficient form: corrections folded into the step size, epsilon hat (issue 15, case 4)": '''\
class Adam:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.state = {}

    def update(self, layer):
        if id(layer) not in self.state:
            self.state[id(layer)] = {"t": 0, "m": [0, 0], "v": [0, 0]}
        s = self.state[id(layer)]
        s["t"] += 1
        t = s["t"]
        step = self.learning_rate * np.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        new = []
        for i, (p, g) in enumerate([(layer._W, layer._grad_W_current), (layer._b, layer._grad_b_current)]):
            s["m"][i] = self.beta1 * s["m"][i] + (1 - self.beta1) * g
            s["v"][i] = self.beta2 * s["v"][i] + (1 - self.beta2) * g * g
            new.append(p - step * s["m"][i] / (np.sqrt(s["v"][i]) + self.eps))
        layer._W, layer._b = new
''',
    },
    "he_initialize_weights": {
        "He's uniform variant": '''\
def he_initialize_weights(input_size, output_size):
    limit = np.sqrt(6 / input_size)
    return np.random.uniform(-limit, limit, (input_size, output_size))
''',
        "randn times the standard deviation": '''\
def he_initialize_weights(input_size, output_size):
    return np.random.randn(input_size, output_size) * np.sqrt(2.0 / input_size)
''',
        "standard_normal scaled": '''\
def he_initialize_weights(input_size, output_size):
    std = (2.0 / input_size) ** 0.5
    return std * np.random.standard_normal(size=(input_size, output_size))
''',
    },
}

# Mistakes that only a hidden test catches (they still count as not caught): none. Every WRONG
# above fails the visible part of its test cell too (the release version, answer key elsewhere).
HIDDEN_ONLY: dict[str, dict[str, str]] = {}

MISTAKES = [
    ("mse", "the document's derivative: one summed number"),
    ("SoftmaxLayer", "the document's backward"),
    ("LinearLayer", "bias gradient not summed over the batch"),
]

# The checks each WRONG variant fails, hidden ones included: it loses exactly their shares
# (test_grading_validity). Read from real runs, then checked to be the checks the mistake should fail.
CHECKS = {
    'mae': {
        'derivative summed into one number': [
            'mae(y_real, y_pred, derivative=True): one entry per prediction',
            "mae's derivative against the numerical gradient of your mae",
            "mae's derivative on columns of shape (4, 1) has their shape", "mae's derivative on other predictions",
            "mae's derivative with respect to y_pred", "mae's derivative on columns of shape",
        ],
        'derivative sign flipped': [
            'mae(y_real, y_pred, derivative=True): one entry per prediction',
            "mae's derivative against the numerical gradient of your mae",
            "mae's derivative on columns of shape (4, 1) has their shape", "mae's derivative on other predictions",
            "mae's derivative with respect to y_pred", "mae's derivative on columns of shape",
        ],
        'derivative not divided by n': [
            'mae(y_real, y_pred, derivative=True): one entry per prediction',
            "mae's derivative against the numerical gradient of your mae",
            "mae's derivative on columns of shape (4, 1) has their shape", "mae's derivative on other predictions",
            "mae's derivative with respect to y_pred", "mae's derivative on columns of shape",
        ],
        'loss without the absolute value': [
            'mae(y_real, y_pred): errors 0.5, 0, -1 and 2 give 3.5 / 4 = 0.875',
            "mae's derivative against the numerical gradient of your mae", 'mae on columns of shape (4, 1)',
            'mae(y_real, y_pred) with errors', 'mae on columns of shape',
        ],
        'derivative 1 at an error of 0': [
            'mae(y_real, y_pred, derivative=True): one entry per prediction',
            "mae's derivative against the numerical gradient of your mae",
            "mae's derivative on columns of shape (4, 1) has their shape",
        ],
        'loss summed over axis 0: an array of shape (1,) for columns': [
            'mae on columns of shape', 'mae on columns of shape (4, 1)',
        ],
    },
    'mse': {
        "the document's derivative: one summed number": [
            'mse(y_real, y_pred, derivative=True): one entry per prediction',
            "mse's derivative against the numerical gradient of your mse",
            "mse's derivative on columns of shape (4, 1) has their shape", "mse's derivative on other predictions",
            "mse's derivative with respect to y_pred", "mse's derivative on columns of shape",
        ],
        'derivative without the factor 2': [
            'mse(y_real, y_pred, derivative=True): one entry per prediction',
            "mse's derivative against the numerical gradient of your mse",
            "mse's derivative on columns of shape (4, 1) has their shape", "mse's derivative on other predictions",
            "mse's derivative with respect to y_pred", "mse's derivative on columns of shape",
        ],
        'derivative sign flipped': [
            'mse(y_real, y_pred, derivative=True): one entry per prediction',
            "mse's derivative against the numerical gradient of your mse",
            "mse's derivative on columns of shape (4, 1) has their shape", "mse's derivative on other predictions",
            "mse's derivative with respect to y_pred", "mse's derivative on columns of shape",
        ],
        'errors not squared': [
            'mse(y_real, y_pred): errors 0.5, 0, -1 and 2 give 5.25 / 4 = 1.3125',
            "mse's derivative against the numerical gradient of your mse", 'mse on columns of shape (4, 1)',
            'mse(y_real, y_pred) with errors', 'mse on columns of shape',
        ],
        'loss summed over axis 0: an array of shape (1,) for columns': [
            'mse on columns of shape', 'mse on columns of shape (4, 1)',
        ],
        'derivative flattened to shape (n,)': [
            "mse's derivative on columns of shape", "mse's derivative on columns of shape (4, 1) has their shape",
        ],
    },
    'softmax': {
        'no max shift: overflows': [
            "softmax of three rows, one of them large: subtract each row's own maximum",
            "softmax, shift each row by its own maximum, not the whole array's",
        ],
        'shifted by the maximum of the whole array': [
            "softmax of three rows, one of them large: subtract each row's own maximum",
            "softmax, shift each row by its own maximum, not the whole array's",
        ],
        'normalised over the batch axis': [
            "softmax of three rows, one of them large: subtract each row's own maximum",
            "softmax's Jacobians of two rows: J[k, i, j] = s_i (delta_ij - s_j)",
            'your Jacobian against the numerical derivative of your softmax', 'softmax(x) of rows',
            "softmax, shift each row by its own maximum, not the whole array's", 'softmax of very negative scores',
            'the rows of softmax(x) must each sum',
            "softmax's Jacobian J[k, i, j], d s_i / d x_j against a numerical one",
            "softmax's Jacobian of a single row",
        ],
        'Jacobian without its off-diagonal terms': [
            "softmax's Jacobians of two rows: J[k, i, j] = s_i (delta_ij - s_j)",
            'your Jacobian against the numerical derivative of your softmax',
            "softmax's Jacobian J[k, i, j], d s_i / d x_j against a numerical one",
            "softmax's Jacobian of a single row",
        ],
        'Jacobian diagonal s instead of s(1 - s)': [
            "softmax's Jacobians of two rows: J[k, i, j] = s_i (delta_ij - s_j)",
            'your Jacobian against the numerical derivative of your softmax',
            "softmax's Jacobian J[k, i, j], d s_i / d x_j against a numerical one",
            "softmax's Jacobian of a single row",
        ],
    },
    'cross_entropy_loss': {
        'sum over the batch instead of the mean': [
            'cross_entropy_loss of 2 samples: the mean of -log P over the rows',
            'the gradient against the numerical gradient of your loss',
            'cross_entropy_loss of large logits: finite, from the shifted logits',
            'cross_entropy_loss(y_real, logits) of samples',
        ],
        'gradient sign flipped': [
            'cross_entropy_loss(..., derivative=True): (softmax(logits) - y_real) / n',
            'the gradient against the numerical gradient of your loss', 'the gradient for those large logits',
            "cross_entropy_loss's gradient on other samples", 'the gradient of the loss with respect to the logits',
            'its gradient',
        ],
        'gradient not divided by n': [
            'cross_entropy_loss(..., derivative=True): (softmax(logits) - y_real) / n',
            'the gradient against the numerical gradient of your loss', 'the gradient for those large logits',
            "cross_entropy_loss's gradient on other samples", 'the gradient of the loss with respect to the logits',
        ],
        'log of the logits, no softmax': [
            'cross_entropy_loss of 2 samples: the mean of -log P over the rows',
            'the gradient against the numerical gradient of your loss',
            'cross_entropy_loss of large logits: finite, from the shifted logits',
            'cross_entropy_loss(y_real, logits) of samples',
            'cross_entropy_loss for logits (use a softmax that does not overflow)',
            'cross_entropy_loss of confident right predictions',
        ],
        'exponentials of large logits overflow': [
            'cross_entropy_loss of large logits: finite, from the shifted logits',
            'cross_entropy_loss for logits (use a softmax that does not overflow)',
            'cross_entropy_loss of confident right predictions',
        ],
        "log of softmax's output: nan once a probability rounds to 0 (issue 15, case 6)": [
            'cross_entropy_loss of large logits: finite, from the shifted logits',
            'cross_entropy_loss of confident right predictions',
        ],
    },
    'LinearLayer': {
        'forgets to cache the input': [
            'LinearLayer.backward(grad_z), the gradient of x',
            'self._grad_W_current after backward (summed over the batch)',
            'self._grad_b_current after backward (summed over the batch)',
            'the gradient of x against the numerical one', '_grad_W_current against the numerical one',
            '_grad_b_current against the numerical one',
            'LinearLayer.forward must keep what backward needs in self._cache_current',
            'the gradient of x, on other inputs', 'self._grad_W_current, on other inputs',
            'self._grad_b_current, on other inputs',
            "LinearLayer's gradients against numerical ones, for other sizes and a batch of one",
        ],
        'gradient of W averaged, not summed, over the batch': [
            'self._grad_W_current after backward (summed over the batch)', '_grad_W_current against the numerical one',
            'self._grad_W_current, on other inputs',
            "LinearLayer's gradients against numerical ones, for other sizes and a batch of one",
        ],
        'gradient of W transposed: shape (n_out, n_in)': [
            "LinearLayer's gradients against numerical ones, for other sizes and a batch of one",
            '_grad_W_current against the numerical one', 'self._grad_W_current after backward (summed over the batch)',
            'self._grad_W_current, on other inputs',
        ],
        'bias gradient not summed over the batch': [
            'self._grad_b_current after backward (summed over the batch)', '_grad_b_current against the numerical one',
            'self._grad_b_current, on other inputs',
            "LinearLayer's gradients against numerical ones, for other sizes and a batch of one",
        ],
        'bias gradient missing': [
            'self._grad_b_current after backward (summed over the batch)', '_grad_b_current against the numerical one',
            'self._grad_b_current, on other inputs',
            "LinearLayer's gradients against numerical ones, for other sizes and a batch of one",
        ],
        'input gradient without the transpose': [
            'LinearLayer.backward(grad_z), the gradient of x', 'the gradient of x against the numerical one',
            'the gradient of x, on other inputs',
            "LinearLayer's gradients against numerical ones, for other sizes and a batch of one",
        ],
        'forward forgets the bias': ['LinearLayer.forward(x) = xW + b for 2 samples', 'LinearLayer.forward(x), xW + b'],
        'update goes uphill': [
            'W after update_params(0.5): W - 0.5 * grad_W', 'b after update_params(0.5): b - 0.5 * grad_b',
            'W after update_params', 'b after update_params',
        ],
    },
    'sigmoid': {
        'sign flipped in the exponent': [
            'sigmoid of [[-2, 0, 1], [0.5, -0.5, 3]], elementwise', 'sigmoid([[-800, 800]])', 'sigmoid(x)',
            'sigmoid far out on both sides', 'sigmoid of a single number',
        ],
        'derivative x(1 - x) of the input': [
            'sigmoid(x, derivative=True) = sigmoid(x) (1 - sigmoid(x))',
            "sigmoid's derivative against the numerical one", 'sigmoid([[-800, 800]], derivative=True)',
            "sigmoid's derivative at other points", "sigmoid's derivative",
            "sigmoid's derivative far out on both sides",
        ],
        'derivative forgotten': [
            'sigmoid(x, derivative=True) = sigmoid(x) (1 - sigmoid(x))',
            "sigmoid's derivative against the numerical one", 'sigmoid([[-800, 800]], derivative=True)',
            "sigmoid's derivative at other points", "sigmoid's derivative",
            "sigmoid's derivative far out on both sides",
        ],
        'derivative 1 - s': [
            'sigmoid(x, derivative=True) = sigmoid(x) (1 - sigmoid(x))',
            "sigmoid's derivative against the numerical one", 'sigmoid([[-800, 800]], derivative=True)',
            "sigmoid's derivative at other points", "sigmoid's derivative",
            "sigmoid's derivative far out on both sides",
        ],
        'exp(x) / (1 + exp(x)): nan for large inputs': [
            'sigmoid([[-800, 800]])', 'sigmoid([[-800, 800]], derivative=True)', 'sigmoid far out on both sides',
            "sigmoid's derivative far out on both sides",
        ],
        'arrays only: a single number has no astype': [
            'sigmoid(0) = 1 / (1 + e^0) = 0.5 (a single number works too)', 'sigmoid of a single number',
        ],
    },
    'SigmoidLayer': {
        'forgets to cache the input': [
            "SigmoidLayer.backward(grad_z): grad_z times sigmoid'(x), entry by entry",
            'SigmoidLayer.backward against the numerical gradient', 'SigmoidLayer.forward(x) for x of shape',
            'SigmoidLayer.backward after forward',
        ],
        'passes grad_z through unchanged': [
            "SigmoidLayer.backward(grad_z): grad_z times sigmoid'(x), entry by entry",
            'SigmoidLayer.backward against the numerical gradient', 'SigmoidLayer.forward(x) for x of shape',
            'SigmoidLayer.backward after forward',
        ],
        'local derivative only, grad_z ignored': [
            "SigmoidLayer.backward(grad_z): grad_z times sigmoid'(x), entry by entry",
            'SigmoidLayer.backward against the numerical gradient', 'SigmoidLayer.forward(x) for x of shape',
        ],
        'derivative taken at the output': [
            "SigmoidLayer.backward(grad_z): grad_z times sigmoid'(x), entry by entry",
            'SigmoidLayer.backward against the numerical gradient', 'SigmoidLayer.forward(x) for x of shape',
            'SigmoidLayer.backward after forward',
        ],
    },
    'SoftmaxLayer': {
        "the document's backward": [
            'SoftmaxLayer.backward(grad_z): the Jacobian-vector product of every row',
            'SoftmaxLayer.backward of the first two rows against the numerical gradient',
            'SoftmaxLayer.forward(x) for x of shape', 'SoftmaxLayer.backward(grad_z) there',
        ],
        'diagonal of the Jacobian only': [
            'SoftmaxLayer.backward(grad_z): the Jacobian-vector product of every row',
            'SoftmaxLayer.backward of the first two rows against the numerical gradient',
            'SoftmaxLayer.forward(x) for x of shape', 'SoftmaxLayer.backward(grad_z) there',
        ],
        'forgets to cache the input': [
            'SoftmaxLayer.backward(grad_z): the Jacobian-vector product of every row',
            'SoftmaxLayer.backward of the first two rows against the numerical gradient',
            'SoftmaxLayer.forward(x) for x of shape', 'SoftmaxLayer.backward(grad_z) there',
        ],
        'forward without the max shift': [
            'SoftmaxLayer.forward(x): the softmax of each row, large scores included',
            'SoftmaxLayer.forward (it must not overflow)',
        ],
    },
    'relu': {
        'derivative on the wrong side': [
            'relu(x, derivative=True): 1 where x > 0, else 0', "relu's derivative against the numerical one",
            "relu's derivative on other inputs", "relu's derivative", "relu's derivative near",
            "relu's derivative at zero", 'relu(x, derivative=True) at x = 0 is 0, as the text takes it',
        ],
        'derivative returns x where positive': [
            'relu(x, derivative=True): 1 where x > 0, else 0', "relu's derivative against the numerical one",
            "relu's derivative on other inputs", "relu's derivative", "relu's derivative near",
            "relu's derivative at zero", 'relu(x, derivative=True) at x = 0 is 0, as the text takes it',
        ],
        'min instead of max': ['relu(x): positive values kept, negative ones 0', 'relu(x)'],
        'clips the input in place': [
            'relu(x): positive values kept, negative ones 0', "relu's derivative against the numerical one", 'relu(x)',
            "relu's derivative",
        ],
        'derivative 1 at x = 0': [
            "relu's derivative at zero", 'relu(x, derivative=True) at x = 0 is 0, as the text takes it',
        ],
    },
    'ReLULayer': {
        'mask on the wrong side': [
            'ReLULayer.backward(grad_z): grad_z where the input x was positive, 0 elsewhere',
            'ReLULayer.backward against the numerical gradient', 'ReLULayer.forward(x) for x of shape',
            'ReLULayer.backward after forward (the mask comes from x)',
        ],
        'mask from grad_z instead of x': [
            'ReLULayer.backward(grad_z): grad_z where the input x was positive, 0 elsewhere',
            'ReLULayer.backward against the numerical gradient', 'ReLULayer.forward(x) for x of shape',
            'ReLULayer.backward after forward (the mask comes from x)',
        ],
        'returns the mask, not the gradient': [
            'ReLULayer.backward(grad_z): grad_z where the input x was positive, 0 elsewhere',
            'ReLULayer.backward against the numerical gradient', 'ReLULayer.forward(x) for x of shape',
            'ReLULayer.backward after forward (the mask comes from x)',
        ],
        'forgets to cache the input': [
            'ReLULayer.backward(grad_z): grad_z where the input x was positive, 0 elsewhere',
            'ReLULayer.backward against the numerical gradient', 'ReLULayer.forward(x) for x of shape',
            'ReLULayer.backward after forward (the mask comes from x)',
        ],
        'forward clips the input in place': [
            'ReLULayer.forward(x): max(x, 0) of every entry', 'ReLULayer.backward against the numerical gradient',
            'ReLULayer.forward(x) for x of shape', 'ReLULayer.backward after forward (the mask comes from x)',
        ],
    },
    'MultiLayerNetwork': {
        'backward in forward order': [
            'MultiLayerNetwork.backward(grad_z): the gradient of the input, last layer first',
            'update_params: every layer with parameters takes one gradient step', 'MultiLayerNetwork.backward(grad_z)',
            'update_params: every parameter takes one gradient step',
        ],
        "forward gives every layer the network's input": [
            'net(x): the layers applied in the order they were added',
            'MultiLayerNetwork.backward(grad_z): the gradient of the input, last layer first',
            'update_params: every layer with parameters takes one gradient step',
            'forward through linear, square, linear, linear, in that order', 'MultiLayerNetwork.backward(grad_z)',
            'update_params: every parameter takes one gradient step',
        ],
        "backward gives every layer the network's gradient": [
            'MultiLayerNetwork.backward(grad_z): the gradient of the input, last layer first',
            'update_params: every layer with parameters takes one gradient step', 'MultiLayerNetwork.backward(grad_z)',
            'update_params: every parameter takes one gradient step',
        ],
        'update_params updates the last layer only': [
            'update_params: every layer with parameters takes one gradient step',
            'update_params: every parameter takes one gradient step',
        ],
        'add replaces the list': [
            'after adding 3 layers, self._layers holds them in that order',
            'net(x): the layers applied in the order they were added',
            'MultiLayerNetwork.backward(grad_z): the gradient of the input, last layer first',
            'update_params: every layer with parameters takes one gradient step',
            'after adding layers, self._layers should hold them in order, it holds',
            'forward through linear, square, linear, linear, in that order', 'MultiLayerNetwork.backward(grad_z)',
            'update_params: every parameter takes one gradient step',
        ],
    },
    'create_model': {
        'no ReLU between the linear layers': [
            'the layers of create_model', 'the layers of create_model for other sizes',
        ],
        'a ReLU after the last layer too': ['the layers of create_model', 'the layers of create_model for other sizes'],
        'sizes swapped': ['the layers of create_model', 'the layers of create_model for other sizes'],
        'sigmoid instead of ReLU': ['the layers of create_model', 'the layers of create_model for other sizes'],
        'always two linear layers': ['the layers of create_model', 'the layers of create_model for other sizes'],
    },
    'train': {
        'backpropagates the loss instead of its gradient': [
            "the losses train returns with lr=0 (the mean of the batches' losses)",
            'the accuracies train returns with lr=0', 'train returns one loss and one accuracy per epoch',
            'the loss should fall during training; it went', "the last epoch's accuracy on the blobs should exceed 0.9",
            "train without learning: each epoch's loss is the mean of its batches' losses",
            "the losses train returns with lr, (the mean of the batches' losses)",
            "the accuracies train returns without learning (the mean of the batches')",
            'train must backpropagate once per batch, times in epochs of batches, not',
            'train must call model.update_params(lr) once per batch',
            "while learning, every backward gets the gradient of its batch's loss",
            'train must call model.update_params(lr) with lr, once per batch',
            "the losses train returns, each epoch's mean of its batches' losses",
            'the loss should fall during training, it went',
            'the training accuracy should reach on three separated blobs, it reached',
            'the trained network should classify % of the blobs, it classifies',
            'each epoch goes through every row once, in a new order',
        ],
        "overwrites the epoch's loss instead of adding to it": [
            "the losses train returns with lr=0 (the mean of the batches' losses)",
            "the losses train returns with lr, (the mean of the batches' losses)",
            "the losses train returns, each epoch's mean of its batches' losses",
        ],
        'predicts the whole training set at every batch': [
            "the losses train returns with lr=0 (the mean of the batches' losses)",
            'the accuracies train returns with lr=0', 'train returns one loss and one accuracy per epoch',
            'the loss should fall during training; it went', "the last epoch's accuracy on the blobs should exceed 0.9",
            "train without learning: each epoch's loss is the mean of its batches' losses",
            "the losses train returns with lr, (the mean of the batches' losses)",
            "the accuracies train returns without learning (the mean of the batches')",
            'train must backpropagate once per batch, times in epochs of batches, not',
            'train must call model.update_params(lr) once per batch',
            "while learning, every backward gets the gradient of its batch's loss",
            'train must call model.update_params(lr) with lr, once per batch',
            "the losses train returns, each epoch's mean of its batches' losses",
            'the loss should fall during training, it went',
            'the training accuracy should reach on three separated blobs, it reached',
            'the trained network should classify % of the blobs, it classifies',
            'each epoch goes through every row once, in a new order', 'train shuffles the rows anew at every epoch',
            "train's batches: batch_size rows each (the last one shorter), every row once per epoch",
        ],
        'accuracy of one-hot rows against labels': [
            "the losses train returns with lr=0 (the mean of the batches' losses)",
            'the accuracies train returns with lr=0', 'train returns one loss and one accuracy per epoch',
            'the loss should fall during training; it went', "the last epoch's accuracy on the blobs should exceed 0.9",
            "train without learning: each epoch's loss is the mean of its batches' losses",
            "the losses train returns with lr, (the mean of the batches' losses)",
            "the accuracies train returns without learning (the mean of the batches')",
            'train must backpropagate once per batch, times in epochs of batches, not',
            'train must call model.update_params(lr) once per batch',
            "while learning, every backward gets the gradient of its batch's loss",
            'train must call model.update_params(lr) with lr, once per batch',
            "the losses train returns, each epoch's mean of its batches' losses",
            'the loss should fall during training, it went',
            'the training accuracy should reach on three separated blobs, it reached',
            'the trained network should classify % of the blobs, it classifies',
            'each epoch goes through every row once, in a new order', 'train shuffles the rows anew at every epoch',
            "train's batches: batch_size rows each (the last one shorter), every row once per epoch",
        ],
        'never updates the parameters': [
            'the loss should fall during training; it went', "the last epoch's accuracy on the blobs should exceed 0.9",
            'train must call model.update_params(lr) once per batch',
            'train must call model.update_params(lr) with lr, once per batch',
            'the loss should fall during training, it went',
            'the training accuracy should reach on three separated blobs, it reached',
            'the trained network should classify % of the blobs, it classifies',
        ],
        'updates with -lr': [
            'the loss should fall during training; it went', "the last epoch's accuracy on the blobs should exceed 0.9",
            'train must call model.update_params(lr) with lr, once per batch',
            'the loss should fall during training, it went',
            'the training accuracy should reach on three separated blobs, it reached',
            'the trained network should classify % of the blobs, it classifies',
        ],
        'never shuffles': [
            'each epoch goes through every row once, in a new order', 'train shuffles the rows anew at every epoch',
        ],
        "batches of get_batches' default 64 rows, not batch_size": [
            'the accuracies train returns with lr=0',
            "the accuracies train returns without learning (the mean of the batches')",
            "the losses train returns with lr=0 (the mean of the batches' losses)",
            "the losses train returns, each epoch's mean of its batches' losses",
            'train must backpropagate once per batch, times in epochs of batches, not',
            'train must call model.update_params(lr) once per batch',
            'train must call model.update_params(lr) with lr, once per batch',
            "train's batches: batch_size rows each (the last one shorter), every row once per epoch",
        ],
    },
    'SGDMomentum': {
        'no memory: plain SGD': [
            'W of the first layer after two updates: v = 0.9 v + g, W = W - 0.1 v',
            'b of the first layer after two updates (b has its own velocity)',
            'W of the second layer after two updates (each layer has its own velocity)',
            'b of the second layer after two updates', 'W of the first layer after updates',
            'b of the first layer after updates',
            'W of the second layer after updates (each layer has its own velocity)',
            'b of the second layer after updates',
        ],
        'one velocity shared by all layers': [
            'W of the first layer after two updates: v = 0.9 v + g, W = W - 0.1 v',
            'b of the first layer after two updates (b has its own velocity)',
            'W of the second layer after two updates (each layer has its own velocity)',
            'b of the second layer after two updates', 'W of the first layer after its first update (a plain step)',
            'W of the first layer after updates', 'b of the first layer after updates',
            'W of the second layer after updates (each layer has its own velocity)',
            'b of the second layer after updates',
        ],
        'velocity of the opposite sign': [
            'W of the first layer after one update: from a velocity of zero, a plain step',
            'W of the first layer after two updates: v = 0.9 v + g, W = W - 0.1 v',
            'b of the first layer after two updates (b has its own velocity)',
            'W of the second layer after two updates (each layer has its own velocity)',
            'b of the second layer after two updates', 'W of the first layer after its first update (a plain step)',
            'W of the first layer after updates', 'b of the first layer after updates',
            'W of the second layer after updates (each layer has its own velocity)',
            'b of the second layer after updates', 'W after momentum steps on * |W - T|^ (it should reach T)',
        ],
        'bias updated without momentum': [
            'b of the first layer after two updates (b has its own velocity)',
            'b of the second layer after two updates', 'b of the first layer after updates',
            'b of the second layer after updates',
        ],
        'first velocity the gradient, then updated again': [
            'W of the first layer after its first update (a plain step)',
            'W of the first layer after one update: from a velocity of zero, a plain step',
            'W of the first layer after two updates: v = 0.9 v + g, W = W - 0.1 v',
            'W of the first layer after updates',
            'W of the second layer after two updates (each layer has its own velocity)',
            'W of the second layer after updates (each layer has its own velocity)',
            'b of the first layer after two updates (b has its own velocity)', 'b of the first layer after updates',
            'b of the second layer after two updates', 'b of the second layer after updates',
        ],
    },
    'Adam': {
        'no bias correction': [
            "W of the first layer after one update: Adam's first, bias-corrected step",
            'W of the first layer after two updates', 'b of the first layer after two updates',
            'W of the second layer after two updates (t counts the updates of each layer)',
            'b of the second layer after two updates', 'W of the first layer after its first update',
            'W of the first layer after updates', 'b of the first layer after updates',
            'W of the second layer after updates', 'b of the second layer after updates',
            'a parameter whose gradient is 0 stays where it is (epsilon: no 0 / 0)',
            'parameters whose gradients are zero stay where they are',
        ],
        'one step counter for all layers': [
            'W of the first layer after two updates', 'b of the first layer after two updates',
            'W of the second layer after two updates (t counts the updates of each layer)',
            'b of the second layer after two updates', 'W of the first layer after its first update',
            'W of the first layer after updates', 'b of the first layer after updates',
            'W of the second layer after updates', 'b of the second layer after updates',
        ],
        'v averages the gradients, not their squares': [
            "W of the first layer after one update: Adam's first, bias-corrected step",
            'W of the first layer after two updates', 'b of the first layer after two updates',
            'W of the second layer after two updates (t counts the updates of each layer)',
            'b of the second layer after two updates', 'W of the first layer after its first update',
            'W of the first layer after updates', 'b of the first layer after updates',
            'W of the second layer after updates', 'b of the second layer after updates',
            'a parameter whose gradient is 0 stays where it is (epsilon: no 0 / 0)',
            'parameters whose gradients are zero stay where they are',
        ],
        'bias correction with the step count before the increment': [
            "W of the first layer after one update: Adam's first, bias-corrected step",
            'W of the first layer after two updates', 'b of the first layer after two updates',
            'W of the second layer after two updates (t counts the updates of each layer)',
            'b of the second layer after two updates', 'W of the first layer after its first update',
            'W of the first layer after updates', 'b of the first layer after updates',
            'W of the second layer after updates', 'b of the second layer after updates',
            'a parameter whose gradient is 0 stays where it is (epsilon: no 0 / 0)',
            'parameters whose gradients are zero stay where they are',
        ],
        'no epsilon: 0 / 0 where a gradient is 0': [
            'a parameter whose gradient is 0 stays where it is (epsilon: no 0 / 0)',
            'parameters whose gradients are zero stay where they are',
        ],
    },
    'he_initialize_weights': {
        "LeCun's sqrt(1 / n_in)": [
            'he_initialize_weights(400, 300) has standard deviation sqrt(2 / n_in)',
            'He weights have standard deviation sqrt of two over the inputs', 'the standard deviation, for other sizes',
        ],
        'the variance used as the standard deviation': [
            'he_initialize_weights(400, 300) has standard deviation sqrt(2 / n_in)',
            'He weights have standard deviation sqrt of two over the inputs', 'the standard deviation, for other sizes',
        ],
        'fan-out instead of fan-in': [
            'he_initialize_weights(400, 300) has standard deviation sqrt(2 / n_in)',
            'He weights have standard deviation sqrt of two over the inputs', 'the standard deviation, for other sizes',
        ],
        "the document's comment: uniform(-1, 1) plus sqrt(2 / n_in)": [
            'He weights have mean 0; he_initialize_weights(400, 300) has mean',
            'he_initialize_weights(400, 300) has standard deviation sqrt(2 / n_in)', 'He weights have mean zero',
            'He weights have standard deviation sqrt of two over the inputs', 'the standard deviation, for other sizes',
        ],
        'an unseeded generator': [
            'after the same np.random.seed, he_initialize_weights gives the same weights',
            'he_initialize_weights after the same np.random.seed (draw with np.random)',
        ],
        'shape (output_size, input_size)': [
            'he_initialize_weights draws from np.random, so a seed repeats it', 'he_initialize_weights(400, 300)',
            'he_initialize_weights: the shape asked for', 'he_initialize_weights: the shape, for other sizes',
        ],
    },
}

# Every sentence of an exercise that states a requirement, quoted from the release notebook, with
# the visible check that exercises it and the WRONG variant that breaks it (which names that check
# in CHECKS), or why it is advice (tests/test_instructions.py).
_CE_LARGE = "cross_entropy_loss of large logits: finite, from the shifted logits"
_SOFTMAX_ROWS = "softmax of three rows, one of them large: subtract each row's own maximum"
_JACOBIAN = "softmax's Jacobians of two rows: J[k, i, j] = s_i (delta_ij - s_j)"
_RELU_AT_0 = "relu(x, derivative=True) at x = 0 is 0, as the text takes it"
_RELU_BACK = "ReLULayer.backward(grad_z): grad_z where the input x was positive, 0 elsewhere"
_SIGMOID_BACK = "SigmoidLayer.backward(grad_z): grad_z times sigmoid'(x), entry by entry"
_SOFTMAX_BACK = "SoftmaxLayer.backward(grad_z): the Jacobian-vector product of every row"
_NET_BACK = "MultiLayerNetwork.backward(grad_z): the gradient of the input, last layer first"
_MOMENTUM_TWO = "W of the first layer after two updates: v = 0.9 v + g, W = W - 0.1 v"
_HE_STD = "he_initialize_weights(400, 300) has standard deviation sqrt(2 / n_in)"
_GRADIENTS_STORED = ("store the gradients of the loss with respect to W (shape (n_in, n_out)) and b (shape (1, n_out), "
                     "like b; (n_out,) is accepted too) in self._grad_W_current and self._grad_b_current")
_TRAIN_BATCHES = "Each **epoch** shuffles the training set and walks through it in mini-batches of `batch_size` rows."
_LOSS_SHAPES = "{float} -- the loss; with derivative=True an array of y_pred's shape"
_ADAM_ZERO = "a parameter whose gradient is 0 stays where it is (epsilon: no 0 / 0)"
_PER_LAYER = "One optimizer serves all the layers of a network, so whatever it remembers, it remembers *per layer*"
INSTRUCTIONS = [
    {"exercise": "mae", "says": "$$MAE = \\dfrac 1 N \\sum_{i=1}^N |y_i - h(x_i)|$$",
     "check": "mae(y_real, y_pred): errors 0.5, 0, -1 and 2 give 3.5 / 4 = 0.875",
     "wrong": "loss without the absolute value"},
    {"exercise": "mae", "says": "with derivative=True, the derivative of the MAE with respect to each prediction",
     "check": "mae(y_real, y_pred, derivative=True): one entry per prediction", "wrong": "derivative not divided by n"},
    {"exercise": "mae", "says": "with derivative=True, the derivative of the MAE with respect to each prediction",
     "check": "mae(y_real, y_pred, derivative=True): one entry per prediction", "wrong": "derivative sign flipped"},
    {"exercise": "mae", "says": "take the derivative of |e| at e = 0 to be 0, as np.sign does",
     "check": "mae(y_real, y_pred, derivative=True): one entry per prediction", "wrong": "derivative 1 at an error of 0"},
    {"exercise": "mae", "says": "It has the shape of `y_pred`.",
     "check": "mae's derivative on columns of shape (4, 1) has their shape", "wrong": "derivative summed into one number"},
    {"exercise": "mae", "says": _LOSS_SHAPES,
     "check": "mae's derivative on columns of shape (4, 1) has their shape", "wrong": "derivative summed into one number"},
    {"exercise": "mae", "says": "real outputs, shape (n,) or (n, 1)",
     "check": "mae on columns of shape (4, 1)", "wrong": "loss summed over axis 0: an array of shape (1,) for columns"},
    {"exercise": "mae", "says": _LOSS_SHAPES,
     "check": "mae on columns of shape (4, 1)", "wrong": "loss summed over axis 0: an array of shape (1,) for columns"},
    {"exercise": "mse", "says": "$$MSE = \\dfrac 1 N \\sum_{i=1}^N (y_i - h(x_i))^2$$",
     "check": "mse(y_real, y_pred): errors 0.5, 0, -1 and 2 give 5.25 / 4 = 1.3125", "wrong": "errors not squared"},
    {"exercise": "mse", "says": "the derivative of the MSE with respect to each prediction (an array, not its sum)",
     "check": "mse(y_real, y_pred, derivative=True): one entry per prediction",
     "wrong": "the document's derivative: one summed number"},
    {"exercise": "mse", "says": "the derivative of the MSE with respect to each prediction (an array, not its sum)",
     "check": "mse(y_real, y_pred, derivative=True): one entry per prediction", "wrong": "derivative without the factor 2"},
    {"exercise": "mse", "says": "the derivative of the MSE with respect to each prediction (an array, not its sum)",
     "check": "mse(y_real, y_pred, derivative=True): one entry per prediction", "wrong": "derivative sign flipped"},
    {"exercise": "mse", "says": "It has the shape of `y_pred`.",
     "check": "mse's derivative on columns of shape (4, 1) has their shape", "wrong": "derivative flattened to shape (n,)"},
    {"exercise": "mse", "says": _LOSS_SHAPES,
     "check": "mse's derivative on columns of shape (4, 1) has their shape", "wrong": "derivative flattened to shape (n,)"},
    {"exercise": "mse", "says": "real outputs, shape (n,) or (n, 1)",
     "check": "mse on columns of shape (4, 1)", "wrong": "loss summed over axis 0: an array of shape (1,) for columns"},
    {"exercise": "mse", "says": _LOSS_SHAPES,
     "check": "mse on columns of shape (4, 1)", "wrong": "loss summed over axis 0: an array of shape (1,) for columns"},
    {"exercise": "softmax", "says": "subtract each row's largest score first",
     "check": _SOFTMAX_ROWS, "wrong": "no max shift: overflows"},
    {"exercise": "softmax", "says": "Softmax of each row of x, without overflow.",
     "check": _SOFTMAX_ROWS, "wrong": "no max shift: overflows"},
    {"exercise": "softmax", "says": "subtract each row's maximum",
     "check": _SOFTMAX_ROWS, "wrong": "shifted by the maximum of the whole array"},
    {"exercise": "softmax", "says": "probabilities of shape (batch_size, n_classes), each row summing to 1",
     "check": _SOFTMAX_ROWS, "wrong": "normalised over the batch axis"},
    {"exercise": "softmax", "says": "$J_{ij} = \\dfrac{\\partial s_i}{\\partial z_j} = s_i(\\delta_{ij} - s_j)$",
     "check": _JACOBIAN, "wrong": "Jacobian without its off-diagonal terms"},
    {"exercise": "softmax", "says": "$J_{ij} = \\dfrac{\\partial s_i}{\\partial z_j} = s_i(\\delta_{ij} - s_j)$",
     "check": _JACOBIAN, "wrong": "Jacobian diagonal s instead of s(1 - s)"},
    {"exercise": "cross_entropy_loss", "says": "$$L = -\\frac 1 n \\sum_{k=1}^n \\sum_{c=1}^M Y_{kc} \\log P_{kc}.$$",
     "check": "cross_entropy_loss of 2 samples: the mean of -log P over the rows",
     "wrong": "sum over the batch instead of the mean"},
    {"exercise": "cross_entropy_loss", "says": "the loss takes its **logits** and applies the softmax itself",
     "check": "cross_entropy_loss of 2 samples: the mean of -log P over the rows",
     "wrong": "log of the logits, no softmax"},
    {"exercise": "cross_entropy_loss", "says": "so for the batch $\\dfrac{\\partial L}{\\partial Z} = \\dfrac{P - Y}{n}$",
     "check": "cross_entropy_loss(..., derivative=True): (softmax(logits) - y_real) / n",
     "wrong": "gradient not divided by n"},
    {"exercise": "cross_entropy_loss", "says": "so for the batch $\\dfrac{\\partial L}{\\partial Z} = \\dfrac{P - Y}{n}$",
     "check": "cross_entropy_loss(..., derivative=True): (softmax(logits) - y_real) / n",
     "wrong": "gradient sign flipped"},
    {"exercise": "cross_entropy_loss", "says": "finite even for large logits such as [[1000, 0, -1000]]",
     "check": _CE_LARGE, "wrong": "exponentials of large logits overflow"},
    {"exercise": "cross_entropy_loss", "says": "the shifted form never takes the log of 0.",
     "check": _CE_LARGE, "wrong": "log of softmax's output: nan once a probability rounds to 0 (issue 15, case 6)"},
    {"exercise": "LinearLayer", "says": "keep the input in self._cache_current (backward needs it) and return xW + b",
     "check": "LinearLayer.forward(x) = xW + b for 2 samples", "wrong": "forward forgets the bias"},
    {"exercise": "LinearLayer", "says": "keep the input in self._cache_current (backward needs it) and return xW + b",
     "check": "LinearLayer.backward(grad_z), the gradient of x", "wrong": "forgets to cache the input"},
    {"exercise": "LinearLayer", "says": "the gradients of $W$ and $b$ add up the contributions of every sample.",
     "check": "self._grad_W_current after backward (summed over the batch)",
     "wrong": "gradient of W averaged, not summed, over the batch"},
    {"exercise": "LinearLayer", "says": "the gradients of $W$ and $b$ add up the contributions of every sample.",
     "check": "self._grad_b_current after backward (summed over the batch)",
     "wrong": "bias gradient not summed over the batch"},
    {"exercise": "LinearLayer", "says": _GRADIENTS_STORED,
     "check": "self._grad_b_current after backward (summed over the batch)", "wrong": "bias gradient missing"},
    {"exercise": "LinearLayer", "says": _GRADIENTS_STORED,
     "check": "self._grad_W_current after backward (summed over the batch)",
     "wrong": "gradient of W transposed: shape (n_out, n_in)"},
    {"exercise": "LinearLayer", "says": "(n_out,) is accepted too",
     "advice": "update_params gives b the same step with either shape (RIGHT: np.dot, a flat bias gradient as in the "
               "document); was 'b (shape (1, n_out))' alone, which the checks never held a student to"},
    {"exercise": "LinearLayer", "says": "Matrix operations do all three methods without a loop over the samples (a loop "
                                        "gives the same values, only much slower).",
     "advice": "a loop cannot be told from matrix operations without reading the code, and speed is not graded (RIGHT: "
               "a loop over the samples); was 'Write all three methods with matrix operations, no loop over samples.'"},
    {"exercise": "LinearLayer", "says": "$\\dfrac{\\partial z_j}{\\partial x_i} = W_{ij}$",
     "check": "LinearLayer.backward(grad_z), the gradient of x", "wrong": "input gradient without the transpose"},
    {"exercise": "LinearLayer", "says": "one step of gradient descent on self._W and self._b with the stored gradients",
     "check": "W after update_params(0.5): W - 0.5 * grad_W", "wrong": "update goes uphill"},
    {"exercise": "sigmoid", "says": "$\\sigma(x) = \\dfrac 1 {1 + e^{-x}}$",
     "check": "sigmoid of [[-2, 0, 1], [0.5, -0.5, 3]], elementwise", "wrong": "sign flipped in the exponent"},
    {"exercise": "sigmoid", "says": "$\\sigma'(x) = \\sigma(x) (1 - \\sigma(x))$",
     "check": "sigmoid(x, derivative=True) = sigmoid(x) (1 - sigmoid(x))", "wrong": "derivative x(1 - x) of the input"},
    {"exercise": "sigmoid", "says": "no nan for large inputs such as -1000 or 1000",
     "check": "sigmoid([[-800, 800]])", "wrong": "exp(x) / (1 + exp(x)): nan for large inputs"},
    {"exercise": "sigmoid", "says": "return the sigmoid of x, elementwise (a number or an array;",
     "check": "sigmoid(0) = 1 / (1 + e^0) = 0.5 (a single number works too)",
     "wrong": "arrays only: a single number has no astype"},
    {"exercise": "sigmoid", "says": "$\\sigma'(x) = \\sigma(x) (1 - \\sigma(x))$",
     "check": "sigmoid(x, derivative=True) = sigmoid(x) (1 - sigmoid(x))", "wrong": "derivative forgotten"},
    {"exercise": "sigmoid", "says": "$\\sigma'(x) = \\sigma(x) (1 - \\sigma(x))$",
     "check": "sigmoid(x, derivative=True) = sigmoid(x) (1 - sigmoid(x))", "wrong": "derivative 1 - s"},
    {"exercise": "SigmoidLayer", "says": "each entry of `grad_z` is multiplied by the local derivative $\\sigma'(x)$ "
                                         "at the same position.",
     "check": _SIGMOID_BACK, "wrong": "passes grad_z through unchanged"},
    {"exercise": "SigmoidLayer", "says": "each entry of `grad_z` is multiplied by the local derivative $\\sigma'(x)$ "
                                         "at the same position.",
     "check": _SIGMOID_BACK, "wrong": "local derivative only, grad_z ignored"},
    {"exercise": "SigmoidLayer", "says": "each entry of `grad_z` is multiplied by the local derivative $\\sigma'(x)$ "
                                         "at the same position.",
     "check": _SIGMOID_BACK, "wrong": "derivative taken at the output"},
    {"exercise": "SigmoidLayer", "says": "keep the input in self._cache_current and return the sigmoid of x",
     "check": _SIGMOID_BACK, "wrong": "forgets to cache the input"},
    {"exercise": "SoftmaxLayer", "says": "return the Jacobian-vector product of every row",
     "check": _SOFTMAX_BACK, "wrong": "the document's backward"},
    {"exercise": "SoftmaxLayer", "says": "return the Jacobian-vector product of every row",
     "check": _SOFTMAX_BACK, "wrong": "diagonal of the Jacobian only"},
    {"exercise": "SoftmaxLayer", "says": "keep what backward needs in self._cache_current",
     "check": _SOFTMAX_BACK, "wrong": "forgets to cache the input"},
    {"exercise": "SoftmaxLayer", "says": "(scores as large as 1000 must not overflow)",
     "check": "SoftmaxLayer.forward(x): the softmax of each row, large scores included",
     "wrong": "forward without the max shift"},
    {"exercise": "relu", "says": "$f(x) = \\max(x, 0)$",
     "check": "relu(x): positive values kept, negative ones 0", "wrong": "min instead of max"},
    {"exercise": "relu", "says": "as a new array (x must not change)",
     "check": "relu(x): positive values kept, negative ones 0", "wrong": "clips the input in place"},
    {"exercise": "relu", "says": "$f'(x) = 1 \\text{ if } x > 0 \\text{ else } 0$",
     "check": "relu(x, derivative=True): 1 where x > 0, else 0", "wrong": "derivative on the wrong side"},
    {"exercise": "relu", "says": "$f'(x) = 1 \\text{ if } x > 0 \\text{ else } 0$",
     "check": "relu(x, derivative=True): 1 where x > 0, else 0", "wrong": "derivative returns x where positive"},
    {"exercise": "relu", "says": "take it to be 0 there, as above: the usual choice, and the one the checks expect.",
     "check": _RELU_AT_0, "wrong": "derivative 1 at x = 0"},
    {"exercise": "relu", "says": "with derivative=True its derivative (1 where x > 0, else 0)",
     "check": _RELU_AT_0, "wrong": "derivative 1 at x = 0"},
    {"exercise": "ReLULayer", "says": "return the ReLU of x (without changing x)",
     "check": "ReLULayer.forward(x): max(x, 0) of every entry", "wrong": "forward clips the input in place"},
    {"exercise": "ReLULayer", "says": "return the gradient of the loss with respect to the input x kept by forward",
     "check": _RELU_BACK, "wrong": "mask from grad_z instead of x"},
    {"exercise": "ReLULayer", "says": "return the gradient of the loss with respect to the input x kept by forward",
     "check": _RELU_BACK, "wrong": "returns the mask, not the gradient"},
    {"exercise": "ReLULayer", "says": "keep the input in self._cache_current and return the ReLU of x",
     "check": _RELU_BACK, "wrong": "forgets to cache the input"},
    {"exercise": "ReLULayer", "says": "$f'(x) = 1 \\text{ if } x > 0 \\text{ else } 0$",
     "check": _RELU_BACK, "wrong": "mask on the wrong side"},
    {"exercise": "MultiLayerNetwork", "says": "`MultiLayerNetwork` keeps its layers in a list, in the order they were added.",
     "check": "after adding 3 layers, self._layers holds them in that order", "wrong": "add replaces the list"},
    {"exercise": "MultiLayerNetwork", "says": "Its `forward` feeds each layer's output to the next layer;",
     "check": "net(x): the layers applied in the order they were added",
     "wrong": "forward gives every layer the network's input"},
    {"exercise": "MultiLayerNetwork", "says": "its `backward` walks the layers in the opposite order,",
     "check": _NET_BACK, "wrong": "backward in forward order"},
    {"exercise": "MultiLayerNetwork", "says": "feeding each layer's input gradient to the layer before it;",
     "check": _NET_BACK, "wrong": "backward gives every layer the network's gradient"},
    {"exercise": "MultiLayerNetwork", "says": "`update_params` lets every layer update its parameters.",
     "check": "update_params: every layer with parameters takes one gradient step",
     "wrong": "update_params updates the last layer only"},
    {"exercise": "create_model", "says": "a `LinearLayer` between each pair of consecutive sizes, with a `ReLULayer` "
                                         "after every `LinearLayer` except the last",
     "check": "the layers of create_model", "wrong": "no ReLU between the linear layers"},
    {"exercise": "create_model", "says": "a `LinearLayer` between each pair of consecutive sizes, with a `ReLULayer` "
                                         "after every `LinearLayer` except the last",
     "check": "the layers of create_model", "wrong": "a ReLU after the last layer too"},
    {"exercise": "create_model", "says": "a `LinearLayer` between each pair of consecutive sizes, with a `ReLULayer` "
                                         "after every `LinearLayer` except the last",
     "check": "the layers of create_model", "wrong": "sigmoid instead of ReLU"},
    {"exercise": "create_model", "says": "`create_model` builds such a network for any list of layer sizes",
     "check": "the layers of create_model", "wrong": "always two linear layers"},
    {"exercise": "create_model", "says": "`create_model([64, 32, 10])` holds `LinearLayer(64, 32)`, `ReLULayer()`, "
                                         "`LinearLayer(32, 10)`.",
     "check": "the layers of create_model", "wrong": "sizes swapped"},
    {"exercise": "train", "says": "1. get the predictions (the logits): model(X_batch)",
     "check": "the losses train returns with lr=0 (the mean of the batches' losses)",
     "wrong": "predicts the whole training set at every batch"},
    {"exercise": "train", "says": "2. add the batch's loss to `loss` and its accuracy to `acc`",
     "check": "the losses train returns with lr=0 (the mean of the batches' losses)",
     "wrong": "overwrites the epoch's loss instead of adding to it"},
    {"exercise": "train", "says": "losses, accuracies -- lists of the mean training loss and accuracy of each epoch",
     "check": "the losses train returns with lr=0 (the mean of the batches' losses)",
     "wrong": "overwrites the epoch's loss instead of adding to it"},
    {"exercise": "train", "says": "(accuracy compares class labels: the argmax of each row of y_batch and of the logits)",
     "check": "the accuracies train returns with lr=0", "wrong": "accuracy of one-hot rows against labels"},
    {"exercise": "train", "says": "3. calculate the gradient of the loss with respect to the predictions",
     "check": "the loss should fall during training; it went",
     "wrong": "backpropagates the loss instead of its gradient"},
    {"exercise": "train", "says": "5. update the parameters with the learning rate lr",
     "check": "the loss should fall during training; it went", "wrong": "never updates the parameters"},
    {"exercise": "train", "says": "$w = w - \\alpha \\cdot \\dfrac {\\partial L} {\\partial w}$",
     "check": "the loss should fall during training; it went", "wrong": "updates with -lr"},
    {"exercise": "train", "says": _TRAIN_BATCHES,
     "check": "train's batches: batch_size rows each (the last one shorter), every row once per epoch",
     "wrong": "batches of get_batches' default 64 rows, not batch_size"},
    {"exercise": "train", "says": "batch_size {int} -- rows per mini-batch",
     "check": "train's batches: batch_size rows each (the last one shorter), every row once per epoch",
     "wrong": "batches of get_batches' default 64 rows, not batch_size"},
    {"exercise": "train", "says": _TRAIN_BATCHES,
     "check": "train shuffles the rows anew at every epoch", "wrong": "never shuffles"},
    {"exercise": "SGDMomentum", "says": "$$v \\leftarrow \\mu v + \\frac{\\partial L}{\\partial W}, \\qquad W \\leftarrow W - \\alpha v$$",
     "check": _MOMENTUM_TWO, "wrong": "no memory: plain SGD"},
    {"exercise": "SGDMomentum", "says": "$$v \\leftarrow \\mu v + \\frac{\\partial L}{\\partial W}, \\qquad W \\leftarrow W - \\alpha v$$",
     "check": _MOMENTUM_TWO, "wrong": "velocity of the opposite sign"},
    {"exercise": "SGDMomentum", "says": _PER_LAYER,
     "check": "W of the second layer after two updates (each layer has its own velocity)",
     "wrong": "one velocity shared by all layers"},
    {"exercise": "SGDMomentum", "says": "For each parameter $W$ (and likewise $b$)",
     "check": "b of the first layer after two updates (b has its own velocity)", "wrong": "bias updated without momentum"},
    {"exercise": "SGDMomentum", "says": "with a velocity $v$ that starts at 0",
     "check": "W of the first layer after one update: from a velocity of zero, a plain step",
     "wrong": "first velocity the gradient, then updated again"},
    {"exercise": "SGDMomentum", "says": "update this layer's velocities (zero before its first update)",
     "check": "W of the first layer after one update: from a velocity of zero, a plain step",
     "wrong": "first velocity the gradient, then updated again"},
    {"exercise": "Adam", "says": "Dividing by $1 - \\beta^t$ corrects the bias of averages that start at 0.",
     "check": "W of the first layer after one update: Adam's first, bias-corrected step", "wrong": "no bias correction"},
    {"exercise": "Adam", "says": "$t$ counts the updates **of this layer**.",
     "check": "W of the second layer after two updates (t counts the updates of each layer)",
     "wrong": "one step counter for all layers"},
    {"exercise": "Adam", "says": "v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2",
     "check": "W of the first layer after two updates", "wrong": "v averages the gradients, not their squares"},
    {"exercise": "Adam", "says": "each update of the layer does $$t \\leftarrow t + 1,",
     "check": "W of the first layer after one update: Adam's first, bias-corrected step",
     "wrong": "bias correction with the step count before the increment"},
    {"exercise": "Adam", "says": "W \\leftarrow W - \\alpha \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}",
     "check": _ADAM_ZERO, "wrong": "no epsilon: 0 / 0 where a gradient is 0"},
    {"exercise": "Adam", "says": "$\\epsilon$ keeps the step finite where a parameter's gradients have all been 0 so far: "
                                 "there $\\hat m = \\hat v = 0$, and the parameter stays where it is.",
     "check": _ADAM_ZERO, "wrong": "no epsilon: 0 / 0 where a gradient is 0"},
    {"exercise": "Adam", "says": "defaults $\\beta_1 = 0.9$, $\\beta_2 = 0.999$, $\\epsilon = 10^{-8}$",
     "advice": "the given constructor sets these defaults (the student writes update only) and the checks use them; "
               "eps inside the square root keeps full marks (RIGHT: eps inside the square root, state in lists)"},
    {"exercise": "he_initialize_weights", "says": "draw the weights from a normal distribution with mean 0 and standard "
                                                  "deviation sqrt(2 / input_size)",
     "check": _HE_STD, "wrong": "LeCun's sqrt(1 / n_in)"},
    {"exercise": "he_initialize_weights", "says": "draw the weights from a normal distribution with mean 0 and standard "
                                                  "deviation sqrt(2 / input_size)",
     "check": _HE_STD, "wrong": "the variance used as the standard deviation"},
    {"exercise": "he_initialize_weights", "says": "standard deviation $\\sigma = \\sqrt{2 / n_{in}}$",
     "check": _HE_STD, "wrong": "fan-out instead of fan-in"},
    {"exercise": "he_initialize_weights", "says": "He initialisation multiplies by this factor, it does not add it.",
     "check": "He weights have mean 0; he_initialize_weights(400, 300) has mean",
     "wrong": "the document's comment: uniform(-1, 1) plus sqrt(2 / n_in)"},
    {"exercise": "he_initialize_weights", "says": "drawn with np.random (so that np.random.seed makes it repeatable, "
                                                  "like initialize_weights)",
     "check": "after the same np.random.seed, he_initialize_weights gives the same weights",
     "wrong": "an unseeded generator"},
    {"exercise": "he_initialize_weights", "says": "shape (input_size, output_size)",
     "check": "he_initialize_weights(400, 300)", "wrong": "shape (output_size, input_size)"},
]

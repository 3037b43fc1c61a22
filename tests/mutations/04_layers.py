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
    },
    "mse": {
        "the document's derivative: one summed number": (
            "return 2 * (y_pred - y_real) / n", "return np.sum(2 * (y_pred - y_real) / n)"),
        "derivative without the factor 2": ("2 * (y_pred - y_real) / n", "(y_pred - y_real) / n"),
        "derivative sign flipped": ("2 * (y_pred - y_real) / n", "2 * (y_real - y_pred) / n"),
        "errors not squared": ("np.sum((y_real - y_pred) ** 2) / n", "np.sum(np.abs(y_real - y_pred)) / n"),
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
    },
    "LinearLayer": {
        "forgets to cache the input": ('        self._cache_current = {"x": x}  # Store input\n', ""),
        "gradient of W averaged, not summed, over the batch": (
            "self._grad_W_current = x.T @ grad_z", "self._grad_W_current = x.T @ grad_z / len(x)"),
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
    },
    "mse": {
        "np.mean, derivative as -2 (y - h) / N": '''\
def mse(y_real, y_pred, derivative=False):
    if derivative:
        return -2.0 * (y_real - y_pred) / y_real.shape[0]
    return np.mean((y_pred - y_real) ** 2)
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
    },
    "relu": {
        "np.where, derivative 1 at x >= 0": '''\
def relu(x, derivative=False):
    if derivative:
        return (x >= 0) * 1.0
    return np.where(x > 0, x, 0.0)
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
    },
    "train": {
        "model.forward, the gradient written out with softmax": [
            ("            y_pred = model(X_batch)\n", "            y_pred = model.forward(X_batch)\n"),
            ("grad = cross_entropy_loss(y_batch, y_pred, derivative=True)",
             "grad = (softmax(y_pred) - y_batch) / len(y_batch)")],
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
    },
}

MISTAKES = [
    ("mse", "the document's derivative: one summed number"),
    ("SoftmaxLayer", "the document's backward"),
    ("LinearLayer", "bias gradient not summed over the batch"),
]

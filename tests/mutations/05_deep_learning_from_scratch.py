"""Realistic wrong answers, and other right ones, for each exercise of 05_deep_learning_from_scratch.

A change is (old, new) replaced in the answer key's cell, a list of such pairs, or a whole new cell.
Several wrong answers are the talk's own code where the course fixes it (marked "the talk's").
"""

WRONG = {
    "dLdP_of": {
        "sign flipped": ("-(y - P)", "(y - P)"),
        "derivative of (y - P)² without the ½": ("-(y - P)", "-2 * (y - P)"),
        "returns the loss instead of its derivative": ("-(y - P)", "0.5 * (y - P) ** 2"),
    },
    "dPdC_of": {
        "sigmoid of the sigmoid": ("sigmoid(C) * (1 - sigmoid(C))", "sigmoid(sigmoid(C)) * (1 - sigmoid(sigmoid(C)))"),
        "output form applied to the input": ("sigmoid(C) * (1 - sigmoid(C))", "C * (1 - C)"),
        "plus instead of minus": ("sigmoid(C) * (1 - sigmoid(C))", "sigmoid(C) * (1 + sigmoid(C))"),
        "one factor only": ("sigmoid(C) * (1 - sigmoid(C))", "1 - sigmoid(C)"),
    },
    "dCdW_of": {
        "missing transpose": ("return B.T", "return B"),
        "summed over the rows too early": ("return B.T", "return B.T.sum(axis=1, keepdims=True)"),
        "the derivative of a linear function taken as 1": ("return B.T", "return np.ones_like(B).T"),
        "a sigmoid derivative by habit": ("return B.T", "return B.T * (1 - B.T)"),
    },
    "dLdW_of": {
        "elementwise product where the matrix product belongs": ("np.dot(dCdW, dLdP * dPdC)", "dCdW * (dLdP * dPdC)"),
        "forgot dPdC": ("np.dot(dCdW, dLdP * dPdC)", "np.dot(dCdW, dLdP)"),
        "matrix product in the wrong order": ("np.dot(dCdW, dLdP * dPdC)", "np.dot(dLdP * dPdC, dCdW)"),
        "sign flipped": ("np.dot(dCdW, dLdP * dPdC)", "-np.dot(dCdW, dLdP * dPdC)"),
    },
    "dCdB_of": {
        "missing transpose": ("return W.T", "return W"),
        "the derivative of a linear function taken as 1": ("return W.T", "return np.ones_like(W).T"),
        "sign flipped": ("return W.T", "return -W.T"),
    },
    "dBdA_of": {
        "sigmoid of the sigmoid": ("sigmoid(A) * (1 - sigmoid(A))", "sigmoid(sigmoid(A)) * (1 - sigmoid(sigmoid(A)))"),
        "output form applied to the input": ("sigmoid(A) * (1 - sigmoid(A))", "A * (1 - A)"),
        "half applied to the input": ("sigmoid(A) * (1 - sigmoid(A))", "sigmoid(A) * (1 - A)"),
    },
    "dAdV_of": {
        "missing transpose": ("return x.T", "return x"),
        "summed over the rows too early": ("return x.T", "return x.T.sum(axis=1, keepdims=True)"),
        "the derivative of a linear function taken as 1": ("return x.T", "return np.ones_like(x).T"),
    },
    "dLdV_of": {
        "matrix product with dBdA": ("np.dot(dAdV, np.dot(dLdP * dPdC, dCdB) * dBdA)",
                                     "np.dot(dAdV, np.dot(np.dot(dLdP * dPdC, dCdB), dBdA))"),
        "forgot dBdA": ("np.dot(dLdP * dPdC, dCdB) * dBdA", "np.dot(dLdP * dPdC, dCdB)"),
        "elementwise product with dAdV": ("np.dot(dAdV, np.dot(dLdP * dPdC, dCdB) * dBdA)",
                                          "dAdV * (np.dot(dLdP * dPdC, dCdB) * dBdA)"),
        "forgot dPdC": ("np.dot(dLdP * dPdC, dCdB)", "np.dot(dLdP, dCdB)"),
        "elementwise product with dCdB (right for one output only)": ("np.dot(dLdP * dPdC, dCdB)",
                                                                     "(dLdP * dPdC) * dCdB"),
    },
    "update_weights": {
        "gradient ascent": ("V - dLdV, W - dLdW", "V + dLdV, W + dLdW"),
        "only W updated": ("V - dLdV, W - dLdW", "V, W - dLdW"),
        "returned in the wrong order": ("V - dLdV, W - dLdW", "W - dLdW, V - dLdV"),
        "gradients swapped": ("V - dLdV, W - dLdW", "V - dLdW, W - dLdV"),
    },
    "learn": {
        "gradient ascent": [("W = W - dLdW", "W = W + dLdW"), ("V = V - dLdV", "V = V + dLdV")],
        "dLdV computed with the updated W": [("    dCdB = W.T\n", "    W = W - dLdW\n    dCdB = W.T\n"),
                                             ("    W = W - dLdW\n    V = V - dLdV", "    V = V - dLdV")],
        "elementwise product for dLdW": ("dLdW = np.dot(dCdW, dLdC)", "dLdW = dCdW * dLdC"),
        "forgot dBdA": ("np.dot(dLdC, dCdB) * dBdA", "np.dot(dLdC, dCdB)"),
        "sigmoid derivative of the prediction instead of C": ("dPdC = sigmoid(C) * (1 - sigmoid(C))",
                                                             "dPdC = sigmoid(P) * (1 - sigmoid(P))"),
        "mean gradient instead of the total's": ("dLdP = -1.0 * (y_batch - P)", "dLdP = -1.0 * (y_batch - P) / len(x_batch)"),
    },
    "forwardpass": {
        "layers in reverse order": ("for layer in self.layers:", "for layer in reversed(self.layers):"),
        "every layer gets X": ("X_next = layer.fprop(X_next)", "X_next = layer.fprop(X)"),
        "returns the input": ("return prediction", "return X"),
        "returns after the first layer": ("        X_next = layer.fprop(X_next)\n",
                                          "        X_next = layer.fprop(X_next)\n        return X_next\n"),
    },
    "loss": {
        "the talk's: returns only the gradient": ("return loss, loss_gradient", "return loss_gradient"),
        "arguments swapped": [("self.loss_function(prediction, Y)", "self.loss_function(Y, prediction)"),
                              ("self.loss_function(prediction, Y, bprop=True)", "self.loss_function(Y, prediction, bprop=True)")],
        "pair in the wrong order": ("return loss, loss_gradient", "return loss_gradient, loss"),
        "the gradient computed without bprop": ("self.loss_function(prediction, Y, bprop=True)",
                                                "self.loss_function(prediction, Y)"),
    },
    "backpropogate": {
        "the talk's: returns the gradient it was given": ("return loss_next", "return loss_gradient"),
        "first layer first": ("reversed(self.layers)", "self.layers"),
        "every layer gets the loss gradient": ("layer.bprop(loss_next)", "layer.bprop(loss_gradient)"),
        "forgot to return": ("    return loss_next", "    pass"),
    },
    "fprop": {
        "the talk's: no bias": (" + self.b", ""),
        "bias added after the activation": (
            "self.activation_input = np.dot(layer_input, self.W) + self.b\n"
            "    return self.activation_function(self.activation_input, bprop=False)",
            "self.activation_input = np.dot(layer_input, self.W)\n"
            "    return self.activation_function(self.activation_input, bprop=False) + self.b"),
        "forgot the activation": ("return self.activation_function(self.activation_input, bprop=False)",
                                  "return self.activation_input"),
        "stores the activation's output as activation_input": (
            "self.activation_input = np.dot(layer_input, self.W) + self.b\n"
            "    return self.activation_function(self.activation_input, bprop=False)",
            "self.activation_input = self.activation_function(np.dot(layer_input, self.W) + self.b)\n"
            "    return self.activation_input"),
        "elementwise product where the matrix product belongs": ("np.dot(layer_input, self.W)", "layer_input * self.W"),
    },
    "bprop": {
        "updates W before computing the gradient it sends back": [
            ("    output_grad = np.dot(dLdActivationInput, self.W.T)\n", ""),
            ("    return output_grad", "    output_grad = np.dot(dLdActivationInput, self.W.T)\n    return output_grad")],
        "forgot the activation's derivative": ("layer_gradient * dOutdActivationInput", "layer_gradient"),
        "activation derivative taken at the activation's output": (
            "self.activation_function(self.activation_input, bprop=True)",
            "self.activation_function(self.activation_function(self.activation_input), bprop=True)"),
        "bias gradient not summed over the rows": ("np.sum(dLdActivationInput, axis=0, keepdims=True)", "dLdActivationInput"),
        "gradient ascent": [("self.W - self.learning_rate", "self.W + self.learning_rate"),
                            ("self.b - self.learning_rate", "self.b + self.learning_rate")],
        "weight gradient transposed": ("np.dot(self.layer_input.T, dLdActivationInput)",
                                       "np.dot(dLdActivationInput.T, self.layer_input)"),
        "learning rate ignored": [("self.learning_rate * weight_gradient", "weight_gradient"),
                                  ("self.learning_rate * bias_gradient", "bias_gradient")],
    },
    "sigmoid_activation": {
        "the derivative computed from σ(x) twice": (
            "return sigmoid_activation(x) * (1 - sigmoid_activation(x))",
            "return sigmoid_activation(sigmoid_activation(x)) * (1 - sigmoid_activation(sigmoid_activation(x)))"),
        "bprop ignored": ("if bprop:", "if False:"),
        "output form applied to the input": ("return sigmoid_activation(x) * (1 - sigmoid_activation(x))",
                                             "return x * (1 - x)"),
        "sign flipped": ("np.exp(-x)", "np.exp(x)"),
        "derivative by the quotient rule (nan for large negative x; issue 15, case 6)": (
            "return sigmoid_activation(x) * (1 - sigmoid_activation(x))", "return np.exp(-x) / (1 + np.exp(-x)) ** 2"),
        # right on rows, an IndexError on the 1-D arrays the text promises ("any shape")
        "two nested loops over rows and columns": (
            "def sigmoid_activation(x, bprop=False):\n"
            "    out = np.zeros(x.shape)\n"
            "    for i in range(x.shape[0]):\n"
            "        for j in range(x.shape[1]):\n"
            "            s = 1.0 / (1.0 + np.exp(-x[i, j]))\n"
            "            out[i, j] = s * (1 - s) if bprop else s\n"
            "    return out\n"),
    },
    "mean_square_error": {
        "the talk's: no mean": [("-1.0 * (Y - prediction) / n", "-1.0 * (Y - prediction)"),
                                ("0.5 * np.sum((Y - prediction) ** 2) / n", "0.5 * (Y - prediction) ** 2")],
        "gradient sign flipped (what (y, P) in Part 1's order gives)": ("-1.0 * (Y - prediction) / n", "(Y - prediction) / n"),
        "gradient of the sum, loss of the mean": ("-1.0 * (Y - prediction) / n", "-1.0 * (Y - prediction)"),
        "mean over every entry": [("0.5 * np.sum((Y - prediction) ** 2) / n", "0.5 * np.mean((Y - prediction) ** 2)"),
                                  ("-1.0 * (Y - prediction) / n", "-1.0 * (Y - prediction) / prediction.size")],
        "forgot the ½": ("0.5 * np.sum", "np.sum"),
    },
}

# Wrong answers that only a hidden test catches (each still counts as missed): none. Every
# exercise's visible check tests values on several rows and outputs and, for each derivative and
# backward pass, compares with a numerical gradient.
HIDDEN_ONLY: dict[str, dict[str, str]] = {}

RIGHT = {
    "dLdP_of": {
        "P - y": ("-(y - P)", "P - y"),
        "a loop over the rows": (
            "def dLdP_of(y, P):\n"
            "    out = np.zeros(np.shape(P))\n"
            "    for i in range(len(P)):\n"
            "        out[i] = P[i] - y[i]\n"
            "    return out\n"),
    },
    "dPdC_of": {
        "from exponentials": ("sigmoid(C) * (1 - sigmoid(C))", "np.exp(-C) / (1 + np.exp(-C)) ** 2"),
        "s minus s squared, sigmoid inlined": (
            "def dPdC_of(C):\n"
            "    s = 1 / (1 + np.exp(-C))\n"
            "    return s - s ** 2\n"),
    },
    "dCdW_of": {
        "np.transpose": ("return B.T", "return np.transpose(B)"),
        "one row per hidden feature, from B's columns": (
            "def dCdW_of(B):\n"
            "    return np.array([B[:, j] for j in range(B.shape[1])])\n"),
    },
    "dLdW_of": {
        "@ operator": ("np.dot(dCdW, dLdP * dPdC)", "dCdW @ (dLdP * dPdC)"),
        "sum of the rows' outer products": (
            "def dLdW_of(dCdW, dLdP, dPdC):\n"
            "    dLdC = dLdP * dPdC\n"
            "    total = np.zeros((dCdW.shape[0], dLdC.shape[1]))\n"
            "    for i in range(dLdC.shape[0]):\n"
            "        total += np.outer(dCdW[:, i], dLdC[i])\n"
            "    return total\n"),
    },
    "dCdB_of": {
        "np.transpose": ("return W.T", "return np.transpose(W)"),
        "nested list comprehension": (
            "def dCdB_of(W):\n"
            "    return np.array([[W[h, k] for h in range(W.shape[0])] for k in range(W.shape[1])])\n"),
    },
    "dBdA_of": {
        "scipy's expit": "from scipy.special import expit\n\n\ndef dBdA_of(A):\n    return expit(A) * (1 - expit(A))\n",
        "sigmoid computed once": (
            "def dBdA_of(A):\n"
            "    B = sigmoid(A)\n"
            "    return B * (1.0 - B)\n"),
    },
    "dAdV_of": {
        "swapaxes": ("return x.T", "return np.swapaxes(x, 0, 1)"),
        "the transpose method on a float copy": ("return x.T", "return np.array(x, dtype=float).transpose()"),
    },
    "dLdV_of": {
        "@ operator": ("np.dot(dAdV, np.dot(dLdP * dPdC, dCdB) * dBdA)", "dAdV @ ((dLdP * dPdC) @ dCdB * dBdA)"),
        "one named step at a time, with einsum": (
            "def dLdV_of(dAdV, dLdP, dPdC, dCdB, dBdA):\n"
            "    dLdC = dLdP * dPdC\n"
            "    dLdB = np.einsum('nk,kh->nh', dLdC, dCdB)\n"
            "    dLdA = dLdB * dBdA\n"
            "    return np.einsum('dn,nh->dh', dAdV, dLdA)\n"),
    },
    "update_weights": {
        "in place, as the talk": "def update_weights(V, W, dLdV, dLdW):\n    W -= dLdW\n    V -= dLdV\n    return V, W\n",
        "a list": "def update_weights(V, W, dLdV, dLdW):\n    new_V = V - dLdV\n    new_W = W - dLdW\n    return [new_V, new_W]\n",
    },
    "learn": {
        "in place, as the talk": ("W = W - dLdW\n    V = V - dLdV", "W -= dLdW\n    V -= dLdV"),
        "calls the step functions": (
            "def learn(V, W, x_batch, y_batch):\n"
            "    A = x_batch @ V\n"
            "    B = sigmoid(A)\n"
            "    C = B @ W\n"
            "    P = sigmoid(C)\n"
            "    dLdP, dPdC = dLdP_of(y_batch, P), dPdC_of(C)\n"
            "    dLdW = dLdW_of(dCdW_of(B), dLdP, dPdC)\n"
            "    dLdV = dLdV_of(dAdV_of(x_batch), dLdP, dPdC, dCdB_of(W), dBdA_of(A))\n"
            "    return update_weights(V, W, dLdV, dLdW)\n"),
        "derivatives from the outputs": [("dPdC = sigmoid(C) * (1 - sigmoid(C))", "dPdC = P * (1 - P)"),
                                         ("dBdA = sigmoid(A) * (1 - sigmoid(A))", "dBdA = B * (1 - B)")],
        "one row at a time, gradients added up": (
            "def learn(V, W, x_batch, y_batch):\n"
            "    dV = np.zeros(V.shape)\n"
            "    dW = np.zeros(W.shape)\n"
            "    for x_row, y_row in zip(x_batch, y_batch):\n"
            "        x = np.array(x_row, ndmin=2)\n"
            "        y = np.array(y_row, ndmin=2)\n"
            "        B = sigmoid(x @ V)\n"
            "        P = sigmoid(B @ W)\n"
            "        dLdC = -(y - P) * P * (1 - P)\n"
            "        dW += B.T @ dLdC\n"
            "        dV += x.T @ ((dLdC @ W.T) * B * (1 - B))\n"
            "    return V - dV, W - dW\n"),
    },
    "forwardpass": {
        "functools.reduce": (
            "@add_to_class(NeuralNetwork)\n"
            "def forwardpass(self, X):\n"
            "    from functools import reduce\n"
            "    return reduce(lambda out, layer: layer.fprop(out), self.layers, X)\n"),
        "a while loop over the indices": (
            "@add_to_class(NeuralNetwork)\n"
            "def forwardpass(self, X):\n"
            "    i = 0\n"
            "    out = X\n"
            "    while i < len(self.layers):\n"
            "        out = self.layers[i].fprop(out)\n"
            "        i += 1\n"
            "    return out\n"),
    },
    "loss": {
        "a list, bprop positional": (
            "@add_to_class(NeuralNetwork)\n"
            "def loss(self, prediction, Y):\n"
            "    return [self.loss_function(prediction, Y), self.loss_function(prediction, Y, True)]\n"),
        "bprop=False spelled out, a tuple": (
            "@add_to_class(NeuralNetwork)\n"
            "def loss(self, prediction, Y):\n"
            "    value = self.loss_function(prediction, Y, bprop=False)\n"
            "    gradient = self.loss_function(prediction, Y, bprop=True)\n"
            "    return (value, gradient)\n"),
    },
    "backpropogate": {
        "slice instead of reversed": ("reversed(self.layers)", "self.layers[::-1]"),
        "a countdown over the indices": (
            "@add_to_class(NeuralNetwork)\n"
            "def backpropogate(self, loss_gradient):\n"
            "    gradient = loss_gradient\n"
            "    for i in range(len(self.layers) - 1, -1, -1):\n"
            "        gradient = self.layers[i].bprop(gradient)\n"
            "    return gradient\n"),
    },
    "fprop": {
        "@ and the activation's default": [("np.dot(layer_input, self.W) + self.b", "layer_input @ self.W + self.b"),
                                           ("self.activation_function(self.activation_input, bprop=False)",
                                            "self.activation_function(self.activation_input)")],
        "matmul, a copy of the input kept": (
            "@add_to_class(FullyConnected)\n"
            "def fprop(self, layer_input):\n"
            "    if not self.weights_initialized:\n"
            "        self._setup(layer_input.shape)\n"
            "    self.layer_input = np.array(layer_input, copy=True)\n"
            "    self.activation_input = np.matmul(self.layer_input, self.W) + self.b\n"
            "    return self.activation_function(self.activation_input)\n"),
    },
    "bprop": {
        "in place, bias gradient without keepdims": (
            "@add_to_class(FullyConnected)\n"
            "def bprop(self, layer_gradient):\n"
            "    delta = layer_gradient * self.activation_function(self.activation_input, bprop=True)\n"
            "    grad_input = delta @ self.W.T\n"
            "    self.W -= self.learning_rate * (self.layer_input.T @ delta)\n"
            "    self.b -= self.learning_rate * delta.sum(axis=0)\n"
            "    return grad_input\n"),
        "updates first, the old W kept for the gradient sent back": (
            "@add_to_class(FullyConnected)\n"
            "def bprop(self, layer_gradient):\n"
            "    old_W = self.W.copy()\n"
            "    dZ = layer_gradient * self.activation_function(self.activation_input, bprop=True)\n"
            "    self.W = self.W - self.learning_rate * np.einsum('ni,nj->ij', self.layer_input, dZ)\n"
            "    self.b = self.b - self.learning_rate * dZ.sum(axis=0, keepdims=True)\n"
            "    output_grad = dZ @ old_W.T\n"
            "    return output_grad\n"),
    },
    "sigmoid_activation": {
        "scipy's expit": (
            "from scipy.special import expit\n\n\n"
            "def sigmoid_activation(x, bprop=False):\n"
            "    s = expit(x)\n"
            "    return s * (1 - s) if bprop else s\n"),
        "tanh form": ("1.0 / (1.0 + np.exp(-x))", "0.5 * (1.0 + np.tanh(x / 2.0))"),
        "Part 1's sigmoid, and its slope": (
            "def sigmoid_activation(x, bprop=False):\n"
            "    s = sigmoid(x)\n"
            "    if bprop:\n"
            "        return s * (1 - s)\n"
            "    return s\n"),
        "the stable two-sided form": (
            "def sigmoid_activation(x, bprop=False):\n"
            "    x = np.asarray(x, dtype=float)\n"
            "    e = np.exp(-np.abs(x))\n"
            "    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n"
            "    if bprop:\n"
            "        return s * (1 - s)\n"
            "    return s\n"),
    },
    "mean_square_error": {
        "mean of the rows' sums": (
            "def mean_square_error(prediction, Y, bprop=False):\n"
            "    if bprop:\n"
            "        return (prediction - Y) / len(prediction)\n"
            "    return 0.5 * np.mean(np.sum((Y - prediction) ** 2, axis=1))\n"),
        "one half over two n, the rows counted from Y": (
            "def mean_square_error(prediction, Y, bprop=False):\n"
            "    n = Y.shape[0]\n"
            "    if bprop:\n"
            "        return (prediction - Y) / n\n"
            "    return ((prediction - Y) ** 2).sum() / (2 * n)\n"),
    },
}

MISTAKES = [
    ("dLdV_of", "forgot dBdA"),
    ("bprop", "updates W before computing the gradient it sends back"),
    ("loss", "the talk's: returns only the gradient"),
]

# The checks each WRONG variant fails, hidden ones included: it loses exactly their shares
# (test_grading_validity). Read from real runs, then checked to be the checks the mistake should fail.
CHECKS = {
    'dLdP_of': {
        'sign flipped': [
            'dLdP_of(y, P) on 3 rows and 2 outputs (y first, then P)',
            'dLdP_of(y, P) against the numerical derivative of ½(y − P)² in P', 'dLdP_of(y, P) with outputs per row',
            'dLdP_of(y, P) against the numerical derivative of ½(y − P)²',
        ],
        'derivative of (y - P)² without the ½': [
            'dLdP_of(y, P) on 3 rows and 2 outputs (y first, then P)',
            'dLdP_of(y, P) against the numerical derivative of ½(y − P)² in P', 'dLdP_of(y, P) with outputs per row',
            'dLdP_of(y, P) against the numerical derivative of ½(y − P)²',
        ],
        'returns the loss instead of its derivative': [
            'dLdP_of(y, P) on 3 rows and 2 outputs (y first, then P)',
            'dLdP_of(y, P) against the numerical derivative of ½(y − P)² in P', 'dLdP_of(y, P) with outputs per row',
            'dLdP_of(y, P) against the numerical derivative of ½(y − P)²',
        ],
    },
    'dPdC_of': {
        'sigmoid of the sigmoid': [
            'dPdC_of(C) on 3 rows and 2 outputs', 'dPdC_of(C) against the numerical derivative of σ(C)',
            'dPdC_of(C) with outputs per row', 'dPdC_of against the numerical derivative of σ, on other inputs',
        ],
        'output form applied to the input': [
            'dPdC_of(C) on 3 rows and 2 outputs', 'dPdC_of(C) against the numerical derivative of σ(C)',
            'dPdC_of(C) with outputs per row', 'dPdC_of against the numerical derivative of σ, on other inputs',
        ],
        'plus instead of minus': [
            'dPdC_of(C) on 3 rows and 2 outputs', 'dPdC_of(C) against the numerical derivative of σ(C)',
            'dPdC_of(C) with outputs per row', 'dPdC_of against the numerical derivative of σ, on other inputs',
        ],
        'one factor only': [
            'dPdC_of(C) on 3 rows and 2 outputs', 'dPdC_of(C) against the numerical derivative of σ(C)',
            'dPdC_of(C) with outputs per row', 'dPdC_of against the numerical derivative of σ, on other inputs',
        ],
    },
    'dCdW_of': {
        'missing transpose': [
            'dCdW_of(B) for 2 rows of 4 hidden features: one row per weight',
            'dCdW_of(B) on 2 rows of 4 hidden features',
            "dCdW_of(B) @ G (G: the rows' dL/dC) against the numerical gradient", 'dCdW_of(B) on rows',
            'dCdW_of(B) @ G against the numerical gradient, on other rows',
        ],
        'summed over the rows too early': [
            'dCdW_of(B) for 2 rows of 4 hidden features: one row per weight',
            'dCdW_of(B) on 2 rows of 4 hidden features',
            "dCdW_of(B) @ G (G: the rows' dL/dC) against the numerical gradient", 'dCdW_of(B) on rows',
            'dCdW_of(B) @ G against the numerical gradient, on other rows',
        ],
        'the derivative of a linear function taken as 1': [
            'dCdW_of(B) on 2 rows of 4 hidden features',
            "dCdW_of(B) @ G (G: the rows' dL/dC) against the numerical gradient", 'dCdW_of(B) on rows',
            'dCdW_of(B) @ G against the numerical gradient, on other rows',
        ],
        'a sigmoid derivative by habit': [
            'dCdW_of(B) on 2 rows of 4 hidden features',
            "dCdW_of(B) @ G (G: the rows' dL/dC) against the numerical gradient", 'dCdW_of(B) on rows',
            'dCdW_of(B) @ G against the numerical gradient, on other rows',
        ],
    },
    'dLdW_of': {
        'elementwise product where the matrix product belongs': [
            'dLdW_of(dCdW, dLdP, dPdC) for 2 rows and 2 outputs: the shape of W',
            'dLdW_of(dCdW, dLdP, dPdC) on 2 rows and 2 outputs', 'dLdW_of against the numerical gradient of the loss',
            'dLdW_of(dCdW, dLdP, dPdC) with one output', 'dLdW_of against the numerical gradient, one output',
            'dLdW_of against the numerical gradient, several outputs',
        ],
        'forgot dPdC': [
            'dLdW_of(dCdW, dLdP, dPdC) on 2 rows and 2 outputs', 'dLdW_of against the numerical gradient of the loss',
            'dLdW_of(dCdW, dLdP, dPdC) with one output', 'dLdW_of against the numerical gradient, on a single row',
            'dLdW_of against the numerical gradient, one output',
            'dLdW_of against the numerical gradient, several outputs',
        ],
        'matrix product in the wrong order': [
            'dLdW_of(dCdW, dLdP, dPdC) for 2 rows and 2 outputs: the shape of W',
            'dLdW_of(dCdW, dLdP, dPdC) on 2 rows and 2 outputs', 'dLdW_of against the numerical gradient of the loss',
            'dLdW_of(dCdW, dLdP, dPdC) with one output', 'dLdW_of against the numerical gradient, on a single row',
            'dLdW_of against the numerical gradient, one output',
            'dLdW_of against the numerical gradient, several outputs',
        ],
        'sign flipped': [
            'dLdW_of(dCdW, dLdP, dPdC) on 2 rows and 2 outputs', 'dLdW_of against the numerical gradient of the loss',
            'dLdW_of(dCdW, dLdP, dPdC) with one output', 'dLdW_of against the numerical gradient, on a single row',
            'dLdW_of against the numerical gradient, one output',
            'dLdW_of against the numerical gradient, several outputs',
        ],
    },
    'dCdB_of': {
        'missing transpose': [
            'dCdB_of(W) for W of shape (4, 2)', 'dCdB_of(W): the values of W, transposed',
            "G @ dCdB_of(W) (G: the rows' dL/dC) against the numerical gradient", 'dCdB_of(W) for W of shape',
            'G @ dCdB_of(W)',
        ],
        'the derivative of a linear function taken as 1': [
            'dCdB_of(W): the values of W, transposed',
            "G @ dCdB_of(W) (G: the rows' dL/dC) against the numerical gradient", 'dCdB_of(W) for W of shape',
            'G @ dCdB_of(W)',
        ],
        'sign flipped': [
            'dCdB_of(W): the values of W, transposed',
            "G @ dCdB_of(W) (G: the rows' dL/dC) against the numerical gradient", 'dCdB_of(W) for W of shape',
            'G @ dCdB_of(W)',
        ],
    },
    'dBdA_of': {
        'sigmoid of the sigmoid': [
            'dBdA_of(A) on 2 rows of 4 hidden features', 'dBdA_of(A) against the numerical derivative of σ(A)',
            'dBdA_of(A) on rows', 'dBdA_of against the numerical derivative of σ, on other inputs',
        ],
        'output form applied to the input': [
            'dBdA_of(A) on 2 rows of 4 hidden features', 'dBdA_of(A) against the numerical derivative of σ(A)',
            'dBdA_of(A) on rows', 'dBdA_of against the numerical derivative of σ, on other inputs',
        ],
        'half applied to the input': [
            'dBdA_of(A) on 2 rows of 4 hidden features', 'dBdA_of(A) against the numerical derivative of σ(A)',
            'dBdA_of(A) on rows', 'dBdA_of against the numerical derivative of σ, on other inputs',
        ],
    },
    'dAdV_of': {
        'missing transpose': [
            'dAdV_of(x) for 2 rows of 3 features', 'dAdV_of(x) on 2 rows of 3 features',
            "dAdV_of(x) @ G (G: the rows' dL/dA) against the numerical gradient", 'dAdV_of(x) on rows',
            'dAdV_of(x) @ G against the numerical gradient, on other rows',
        ],
        'summed over the rows too early': [
            'dAdV_of(x) for 2 rows of 3 features', 'dAdV_of(x) on 2 rows of 3 features',
            "dAdV_of(x) @ G (G: the rows' dL/dA) against the numerical gradient", 'dAdV_of(x) on rows',
            'dAdV_of(x) @ G against the numerical gradient, on other rows',
        ],
        'the derivative of a linear function taken as 1': [
            'dAdV_of(x) on 2 rows of 3 features',
            "dAdV_of(x) @ G (G: the rows' dL/dA) against the numerical gradient", 'dAdV_of(x) on rows',
            'dAdV_of(x) @ G against the numerical gradient, on other rows',
        ],
    },
    'dLdV_of': {
        'matrix product with dBdA': [
            "dLdV_of(...) for 2 rows, 3 features, 4 hidden features, 2 outputs: V's shape",
            'dLdV_of(...) on 2 rows and 2 outputs', 'dLdV_of against the numerical gradient of the loss',
            'dLdV_of(...) with one output', 'dLdV_of against the numerical gradient, on a single row',
            'dLdV_of against the numerical gradient, one output',
            'dLdV_of against the numerical gradient, several outputs',
        ],
        'forgot dBdA': [
            'dLdV_of(...) on 2 rows and 2 outputs', 'dLdV_of against the numerical gradient of the loss',
            'dLdV_of(...) with one output', 'dLdV_of against the numerical gradient, on a single row',
            'dLdV_of against the numerical gradient, one output',
            'dLdV_of against the numerical gradient, several outputs',
        ],
        'elementwise product with dAdV': [
            "dLdV_of(...) for 2 rows, 3 features, 4 hidden features, 2 outputs: V's shape",
            'dLdV_of(...) on 2 rows and 2 outputs', 'dLdV_of against the numerical gradient of the loss',
            'dLdV_of(...) with one output', 'dLdV_of against the numerical gradient, one output',
            'dLdV_of against the numerical gradient, several outputs',
        ],
        'forgot dPdC': [
            'dLdV_of(...) on 2 rows and 2 outputs', 'dLdV_of against the numerical gradient of the loss',
            'dLdV_of(...) with one output', 'dLdV_of against the numerical gradient, on a single row',
            'dLdV_of against the numerical gradient, one output',
            'dLdV_of against the numerical gradient, several outputs',
        ],
        'elementwise product with dCdB (right for one output only)': [
            "dLdV_of(...) for 2 rows, 3 features, 4 hidden features, 2 outputs: V's shape",
            'dLdV_of(...) on 2 rows and 2 outputs', 'dLdV_of against the numerical gradient of the loss',
            'dLdV_of against the numerical gradient, several outputs',
        ],
    },
    'update_weights': {
        'gradient ascent': [
            'the new V, first of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new W, second of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new V from update_weights(V, W, dLdV, dLdW)', 'the new W from update_weights(V, W, dLdV, dLdW)',
        ],
        'only W updated': [
            'the new V, first of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new V from update_weights(V, W, dLdV, dLdW)',
        ],
        'returned in the wrong order': [
            'the new V, first of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new W, second of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new V from update_weights(V, W, dLdV, dLdW)', 'the new W from update_weights(V, W, dLdV, dLdW)',
        ],
        'gradients swapped': [
            'update_weights(V, W, dLdV, dLdW) must return the pair (V, W)',
            'the new V, first of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new W, second of the pair update_weights(V, W, dLdV, dLdW) returns',
            'the new V from update_weights(V, W, dLdV, dLdW)', 'the new W from update_weights(V, W, dLdV, dLdW)',
        ],
    },
    'learn': {
        'gradient ascent': [
            'V after one step of learn on 4 rows with 2 outputs',
            'W after one step of learn on 4 rows with 2 outputs',
            'V − (V returned by learn) on 4 rows, against the numerical gradient',
            'W − (W returned by learn) on 4 rows, against the numerical gradient',
            'one step of learn on the eight rows should lower their loss', 'V after one step of learn on rows',
            'W after one step of learn on rows',
            'V − (V returned by learn) on other rows, against the numerical gradient',
            'W − (W returned by learn) on other rows, against the numerical gradient',
            'after train_and_display the network should classify all eight rows',
        ],
        'dLdV computed with the updated W': [
            'V after one step of learn on 4 rows with 2 outputs',
            'V − (V returned by learn) on 4 rows, against the numerical gradient', 'V after one step of learn on rows',
            'V − (V returned by learn) on other rows, against the numerical gradient',
        ],
        'elementwise product for dLdW': [
            'learn(V, W, x_batch, y_batch) must return the pair (V, W)',
            'learn returns V and W in the shapes it received',
            'V after one step of learn on 4 rows with 2 outputs',
            'W after one step of learn on 4 rows with 2 outputs',
            'V − (V returned by learn) on 4 rows, against the numerical gradient',
            'W − (W returned by learn) on 4 rows, against the numerical gradient',
            'one step of learn on the eight rows should lower their loss', 'V after one step of learn on rows',
            'W after one step of learn on rows', 'learn must return V and W of the shapes it received',
            'V − (V returned by learn) on other rows, against the numerical gradient',
            'W − (W returned by learn) on other rows, against the numerical gradient',
            'after train_and_display the network should classify all eight rows',
        ],
        'forgot dBdA': [
            'V after one step of learn on 4 rows with 2 outputs',
            'V − (V returned by learn) on 4 rows, against the numerical gradient', 'V after one step of learn on rows',
            'V − (V returned by learn) on other rows, against the numerical gradient',
            'after train_and_display the network should classify all eight rows',
        ],
        'sigmoid derivative of the prediction instead of C': [
            'V after one step of learn on 4 rows with 2 outputs',
            'W after one step of learn on 4 rows with 2 outputs',
            'V − (V returned by learn) on 4 rows, against the numerical gradient',
            'W − (W returned by learn) on 4 rows, against the numerical gradient', 'V after one step of learn on rows',
            'W after one step of learn on rows',
            'V − (V returned by learn) on other rows, against the numerical gradient',
            'W − (W returned by learn) on other rows, against the numerical gradient',
        ],
        "mean gradient instead of the total's": [
            'V after one step of learn on 4 rows with 2 outputs',
            'W after one step of learn on 4 rows with 2 outputs',
            'V − (V returned by learn) on 4 rows, against the numerical gradient',
            'W − (W returned by learn) on 4 rows, against the numerical gradient', 'V after one step of learn on rows',
            'W after one step of learn on rows',
            'V − (V returned by learn) on other rows, against the numerical gradient',
            'W − (W returned by learn) on other rows, against the numerical gradient',
            'after train_and_display the network should classify all eight rows',
        ],
    },
    'forwardpass': {
        'layers in reverse order': [
            'forwardpass(X) with layers X -> 2X + 1 then X -> -X + 3, first layer first',
            "what the second layer received (the first layer's output)", 'forwardpass(X) through four layers',
        ],
        'every layer gets X': [
            'forwardpass(X) with layers X -> 2X + 1 then X -> -X + 3, first layer first',
            "what the second layer received (the first layer's output)", 'forwardpass(X) through four layers',
        ],
        'returns the input': [
            'forwardpass(X) with layers X -> 2X + 1 then X -> -X + 3, first layer first',
            'forwardpass(X) through four layers', 'forwardpass(X) through a single layer',
        ],
        'returns after the first layer': [
            'forwardpass(X) with layers X -> 2X + 1 then X -> -X + 3, first layer first',
            "forwardpass should call each layer's fprop once; calls per layer",
            "what the second layer received (the first layer's output)", 'forwardpass(X) through four layers',
        ],
    },
    'loss': {
        "the talk's: returns only the gradient": [
            'loss(prediction, Y) must return the pair (loss, loss_gradient)',
            'the loss value, first of the pair loss(prediction, Y) returns',
            'the loss gradient, second of the pair loss(prediction, Y) returns',
            'the loss value returned by loss(prediction, Y), on other predictions',
            'the loss gradient returned by loss(prediction, Y) (loss_function )',
        ],
        'arguments swapped': [
            'the loss value, first of the pair loss(prediction, Y) returns',
            'the loss gradient, second of the pair loss(prediction, Y) returns',
            'the loss value returned by loss(prediction, Y), on other predictions',
            'the loss gradient returned by loss(prediction, Y) (loss_function )',
        ],
        'pair in the wrong order': [
            'the loss value, first of the pair loss(prediction, Y) returns',
            'the loss gradient, second of the pair loss(prediction, Y) returns',
            'the loss value returned by loss(prediction, Y), on other predictions',
            'the loss gradient returned by loss(prediction, Y) (loss_function )',
        ],
        'the gradient computed without bprop': [
            'the loss gradient, second of the pair loss(prediction, Y) returns',
            'the loss gradient returned by loss(prediction, Y) (loss_function )',
        ],
    },
    'backpropogate': {
        "the talk's: returns the gradient it was given": [
            "what backpropogate returns: the first layer's bprop output",
            'what backpropogate returns after two layers', 'backpropogate through a single layer',
        ],
        'first layer first': [
            'backpropogate calls bprop on the last layer first, each layer once',
            "what backpropogate returns: the first layer's bprop output",
            'backpropogate calls bprop last layer first, on other layers',
            'what backpropogate returns after two layers',
        ],
        'every layer gets the loss gradient': [
            "what backpropogate returns: the first layer's bprop output",
            'what backpropogate returns after two layers',
        ],
        'forgot to return': [
            "backpropogate returns something: what the first layer's bprop returned",
            "what backpropogate returns: the first layer's bprop output",
            'what backpropogate returns after two layers', 'backpropogate through a single layer',
        ],
    },
    'fprop': {
        "the talk's: no bias": [
            'fprop with W, b given and the identity activation', 'self.activation_input after fprop',
            'fprop with the sigmoid activation',
            'self.activation_input after fprop with the sigmoid (its input, not output)',
            'self.activation_input after fprop, on other inputs', 'fprop with the sigmoid activation on rows',
        ],
        'bias added after the activation': [
            'self.activation_input after fprop', 'fprop with the sigmoid activation',
            'self.activation_input after fprop with the sigmoid (its input, not output)',
            'self.activation_input after fprop, on other inputs', 'fprop with the sigmoid activation on rows',
        ],
        'forgot the activation': ['fprop with the sigmoid activation', 'fprop with the sigmoid activation on rows'],
        "stores the activation's output as activation_input": [
            'self.activation_input after fprop with the sigmoid (its input, not output)',
            'self.activation_input after fprop, on other inputs',
        ],
        'elementwise product where the matrix product belongs': [
            'fprop with W, b given and the identity activation', 'self.activation_input after fprop',
            'fprop with the sigmoid activation',
            'self.activation_input after fprop with the sigmoid (its input, not output)',
            'self.activation_input after fprop, on other inputs', 'fprop with the sigmoid activation on rows',
            'fprop of a new layer of neurons on rows of inputs', 'fprop of a new layer (its weights drawn by _setup)',
        ],
    },
    'bprop': {
        'updates W before computing the gradient it sends back': [
            "bprop's return value with the identity activation", "bprop's return value with the sigmoid activation",
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs', 'bprop against numerical gradients, on a single row',
        ],
        "forgot the activation's derivative": [
            "bprop's return value with the sigmoid activation",
            'self.W after bprop with the sigmoid activation (learning rate 0.5)',
            'self.b after bprop with the sigmoid activation (learning rate 0.5)',
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs', 'bprop against numerical gradients, on a single row',
        ],
        "activation derivative taken at the activation's output": [
            "bprop's return value with the sigmoid activation",
            'self.W after bprop with the sigmoid activation (learning rate 0.5)',
            'self.b after bprop with the sigmoid activation (learning rate 0.5)',
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs', 'bprop against numerical gradients, on a single row',
        ],
        'bias gradient not summed over the rows': [
            'self.b after bprop (learning rate 0.5, identity activation)',
            'self.b after bprop with the sigmoid activation (learning rate 0.5)',
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs',
        ],
        'gradient ascent': [
            'self.W after bprop (learning rate 0.5, identity activation)',
            'self.b after bprop (learning rate 0.5, identity activation)',
            'self.W after bprop with the sigmoid activation (learning rate 0.5)',
            'self.b after bprop with the sigmoid activation (learning rate 0.5)',
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs', 'bprop against numerical gradients, on a single row',
        ],
        'weight gradient transposed': [
            "bprop's return value, the gradient for the layer input: its shape",
            "bprop's return value with the identity activation",
            'self.W after bprop (learning rate 0.5, identity activation)',
            'self.b after bprop (learning rate 0.5, identity activation)',
            "bprop's return value with the sigmoid activation",
            'self.W after bprop with the sigmoid activation (learning rate 0.5)',
            'self.b after bprop with the sigmoid activation (learning rate 0.5)',
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs', 'bprop against numerical gradients, on a single row',
        ],
        'learning rate ignored': [
            'self.W after bprop (learning rate 0.5, identity activation)',
            'self.b after bprop (learning rate 0.5, identity activation)',
            'self.W after bprop with the sigmoid activation (learning rate 0.5)',
            'self.b after bprop with the sigmoid activation (learning rate 0.5)',
            "bprop's gradient and updates against numerical gradients",
            'bprop against numerical gradients, on other inputs', 'bprop against numerical gradients, on a single row',
        ],
    },
    'sigmoid_activation': {
        'two nested loops over rows and columns': [
            'sigmoid_activation on a 1-D and a 3-D array (any shape), as on rows',
            'sigmoid_activation on other shapes, as on rows',
        ],
        'the derivative computed from σ(x) twice': [
            'sigmoid_activation(x, bprop=True), the slopes, on 2 rows',
            'sigmoid_activation(x, bprop=True) against the numerical derivative of σ',
            'sigmoid_activation(±800, bprop=True) (no nan)', "sigmoid_activation's slopes on other rows",
            'sigmoid_activation against the numerical derivative of σ',
            "sigmoid_activation's slopes far out on both sides (no nan)",
        ],
        'bprop ignored': [
            'sigmoid_activation(x, bprop=True), the slopes, on 2 rows',
            'sigmoid_activation(x, bprop=True) against the numerical derivative of σ',
            'sigmoid_activation(±800, bprop=True) (no nan)', "sigmoid_activation's slopes on other rows",
            'sigmoid_activation against the numerical derivative of σ',
            "sigmoid_activation's slopes far out on both sides (no nan)",
        ],
        'output form applied to the input': [
            'sigmoid_activation(x, bprop=True), the slopes, on 2 rows',
            'sigmoid_activation(x, bprop=True) against the numerical derivative of σ',
            'sigmoid_activation(±800, bprop=True) (no nan)', "sigmoid_activation's slopes on other rows",
            'sigmoid_activation against the numerical derivative of σ',
            "sigmoid_activation's slopes far out on both sides (no nan)",
        ],
        'sign flipped': [
            'sigmoid_activation(x) on 2 rows', 'sigmoid_activation at ±800 (no nan)', 'sigmoid_activation(x)',
            'sigmoid_activation far out on both sides (no nan)',
        ],
        'derivative by the quotient rule (nan for large negative x; issue 15, case 6)': [
            'sigmoid_activation(±800, bprop=True) (no nan)',
            "sigmoid_activation's slopes far out on both sides (no nan)",
        ],
    },
    'mean_square_error': {
        "the talk's: no mean": [
            'mean_square_error(Y, Y): a perfect prediction', 'mean_square_error(prediction, Y) on 2 rows and 3 outputs',
            'mean_square_error(prediction, Y, bprop=True) on 2 rows, prediction first',
            'mean_square_error(prediction, Y, bprop=True) against the numerical gradient',
            'mean_square_error(prediction, Y) on rows', 'mean_square_error on rows',
            'mean_square_error against the numerical gradient of the loss',
        ],
        "gradient sign flipped (what (y, P) in Part 1's order gives)": [
            'mean_square_error(prediction, Y, bprop=True) on 2 rows, prediction first',
            'mean_square_error(prediction, Y, bprop=True) against the numerical gradient', 'mean_square_error on rows',
            'mean_square_error against the numerical gradient of the loss',
        ],
        'gradient of the sum, loss of the mean': [
            'mean_square_error(prediction, Y, bprop=True) on 2 rows, prediction first',
            'mean_square_error(prediction, Y, bprop=True) against the numerical gradient', 'mean_square_error on rows',
            'mean_square_error against the numerical gradient of the loss',
        ],
        'mean over every entry': [
            'mean_square_error(prediction, Y) on 2 rows and 3 outputs',
            'mean_square_error(prediction, Y, bprop=True) on 2 rows, prediction first',
            'mean_square_error(prediction, Y, bprop=True) against the numerical gradient',
            'mean_square_error(prediction, Y) on rows', 'mean_square_error on rows',
            'mean_square_error against the numerical gradient of the loss',
        ],
        'forgot the ½': [
            'mean_square_error(prediction, Y) on 2 rows and 3 outputs', 'mean_square_error(prediction, Y) on rows',
        ],
    },
}

# Every sentence of an exercise that states a requirement, quoted from the release notebook, with
# the visible check that exercises it and the WRONG variant that breaks it (which names that check
# in CHECKS), or why it is advice (tests/test_instructions.py).
_DPDC = "$$ \\frac{\\partial P}{\\partial C} = \\sigma(C)\\,(1 - \\sigma(C)). $$"
_LEARN_V = "V after one step of learn on 4 rows with 2 outputs"
_LEARN_W = "W after one step of learn on 4 rows with 2 outputs"
_DLDV_SHAPE = "dLdV_of(...) for 2 rows, 3 features, 4 hidden features, 2 outputs: V's shape"
_BP_RETURNS = "what backpropogate returns: the first layer's bprop output"
_MSE_GRAD = "mean_square_error(prediction, Y, bprop=True) on 2 rows, prediction first"
_MSE = "mean_square_error(prediction, Y) on 2 rows and 3 outputs"
_W_ID = "self.W after bprop (learning rate 0.5, identity activation)"


def _each(exercise, says, check, *wrongs):
    return [{"exercise": exercise, "says": says, "check": check, "wrong": wrong} for wrong in wrongs]


INSTRUCTIONS = [
    *_each("dLdP_of", "$$ \\frac{\\partial L}{\\partial P} = -(y - P). $$",
           "dLdP_of(y, P) on 3 rows and 2 outputs (y first, then P)", "sign flipped"),
    *_each("dLdP_of", "dL/dP for L = ½(y − P)², elementwise.",
           "dLdP_of(y, P) on 3 rows and 2 outputs (y first, then P)", "derivative of (y - P)² without the ½"),
    *_each("dLdP_of", "return the derivative of the loss with respect to the prediction P",
           "dLdP_of(y, P) on 3 rows and 2 outputs (y first, then P)", "returns the loss instead of its derivative"),
    *_each("dPdC_of", _DPDC, "dPdC_of(C) on 3 rows and 2 outputs",
           "sigmoid of the sigmoid", "output form applied to the input", "plus instead of minus", "one factor only"),
    *_each("dCdW_of", "B has shape (n, h); the result (h, n).",
           "dCdW_of(B) for 2 rows of 4 hidden features: one row per weight",
           "missing transpose", "summed over the rows too early"),
    *_each("dCdW_of", "$\\frac{\\partial c}{\\partial w_{11}}$ is just $b_1$", "dCdW_of(B) on 2 rows of 4 hidden features",
           "the derivative of a linear function taken as 1", "a sigmoid derivative by habit"),
    *_each("dLdW_of", "elementwise where two arrays hold derivatives of the same values (`dLdP` and `dPdC`, both one "
                      "number per prediction), and a matrix product with `dCdW`",
           "dLdW_of(dCdW, dLdP, dPdC) for 2 rows and 2 outputs: the shape of W",
           "elementwise product where the matrix product belongs"),
    *_each("dLdW_of", "Returns (h, k), the shape of W.",
           "dLdW_of(dCdW, dLdP, dPdC) for 2 rows and 2 outputs: the shape of W", "matrix product in the wrong order"),
    *_each("dLdW_of", "combine dCdW, dLdP and dPdC into dLdW",
           "dLdW_of(dCdW, dLdP, dPdC) on 2 rows and 2 outputs", "forgot dPdC"),
    *_each("dLdW_of", "$$ \\frac{\\partial L}{\\partial W} = \\frac{\\partial L}{\\partial P} \\cdot "
                      "\\frac{\\partial P}{\\partial C} \\cdot \\frac{\\partial C}{\\partial W}",
           "dLdW_of(dCdW, dLdP, dPdC) on 2 rows and 2 outputs", "sign flipped"),
    *_each("dCdB_of", "W has shape (h, k); the result (k, h).", "dCdB_of(W) for W of shape (4, 2)", "missing transpose"),
    *_each("dCdB_of", "$\\frac{\\partial c}{\\partial b_1} = w_{11}$", "dCdB_of(W): the values of W, transposed",
           "the derivative of a linear function taken as 1", "sign flipped"),
    *_each("dBdA_of", "= \\sigma(A)\\,(1 - \\sigma(A)). $$", "dBdA_of(A) on 2 rows of 4 hidden features",
           "sigmoid of the sigmoid", "output form applied to the input", "half applied to the input"),
    *_each("dAdV_of", "in a matrix product that is the same as multiplying by just $X^T$ from the left.",
           "dAdV_of(x) for 2 rows of 3 features", "missing transpose", "summed over the rows too early"),
    *_each("dAdV_of", "$\\frac{\\partial a_1}{\\partial v_{11}} = x_1$", "dAdV_of(x) on 2 rows of 3 features",
           "the derivative of a linear function taken as 1"),
    *_each("dLdV_of", "the product with `dCdB` adds up, for each hidden feature, what it receives from every output;",
           _DLDV_SHAPE, "elementwise product with dCdB (right for one output only)"),
    *_each("dLdV_of", "the product with `dAdV` adds up over the rows)", _DLDV_SHAPE, "elementwise product with dAdV"),
    *_each("dLdV_of", "an elementwise product where two arrays hold one number per value (`dLdP * dPdC`, and `dBdA` "
                      "with the gradient arriving at each $b_j$).", _DLDV_SHAPE, "matrix product with dBdA"),
    *_each("dLdV_of", "combine the five partial derivatives into dLdV", "dLdV_of(...) on 2 rows and 2 outputs",
           "forgot dBdA", "forgot dPdC"),
    *_each("update_weights", "move V and W against their gradients and return both, V first",
           "the new V, first of the pair update_weights(V, W, dLdV, dLdW) returns",
           "gradient ascent", "returned in the wrong order", "only W updated"),
    *_each("update_weights", "$$ W = W - \\frac{\\partial L}{\\partial W}, \\qquad V = V - \\frac{\\partial L}{\\partial V} $$",
           "update_weights(V, W, dLdV, dLdW) must return the pair (V, W)", "gradients swapped"),
    *_each("learn", "Its gradients are those of the batch's **total** loss", _LEARN_V, "mean gradient instead of the total's"),
    *_each("learn", "taken at the weights it received", _LEARN_V, "dLdV computed with the updated W"),
    *_each("learn", "backpropagates (the six steps and the two products)", _LEARN_V, "forgot dBdA"),
    *_each("learn", _DPDC, _LEARN_W, "sigmoid derivative of the prediction instead of C"),
    *_each("learn", "V (d, h), W (h, k), x_batch (n, d), y_batch (n, k). Returns the updated (V, W).",
           "learn returns V and W in the shapes it received", "elementwise product for dLdW"),
    *_each("learn", "$$ W = W - \\frac{\\partial L}{\\partial W}, \\qquad V = V - \\frac{\\partial L}{\\partial V} $$",
           "one step of learn on the eight rows should lower their loss", "gradient ascent"),
    *_each("forwardpass", "feed each layer the previous layer's output (call each layer's fprop once)",
           "what the second layer received (the first layer's output)", "every layer gets X"),
    *_each("forwardpass", "feed each layer the previous layer's output (call each layer's fprop once)",
           "forwardpass should call each layer's fprop once; calls per layer", "returns after the first layer"),
    *_each("forwardpass", "Pass X through every layer's fprop, first to last; return the last layer's output.",
           "forwardpass(X) with layers X -> 2X + 1 then X -> -X + 3, first layer first",
           "layers in reverse order", "returns the input"),
    *_each("loss", "Return (loss, loss_gradient)", "loss(prediction, Y) must return the pair (loss, loss_gradient)",
           "the talk's: returns only the gradient"),
    *_each("loss", "Return (loss, loss_gradient)", "the loss value, first of the pair loss(prediction, Y) returns",
           "pair in the wrong order"),
    *_each("loss", "the talk's Part 2 loss takes `(prediction, Y)`, the prediction first.",
           "the loss gradient, second of the pair loss(prediction, Y) returns", "arguments swapped"),
    *_each("loss", "(loss_function(..., bprop=True))",
           "the loss gradient, second of the pair loss(prediction, Y) returns", "the gradient computed without bprop"),
    *_each("backpropogate", "Pass the loss gradient through every layer's bprop, last layer first;",
           "backpropogate calls bprop on the last layer first, each layer once", "first layer first"),
    *_each("backpropogate", "return what the first layer returns: the gradient of the loss with respect to the network's input.",
           _BP_RETURNS, "the talk's: returns the gradient it was given", "forgot to return"),
    *_each("backpropogate", "feed each layer's bprop the gradient returned by the layer after it",
           _BP_RETURNS, "every layer gets the loss gradient"),
    *_each("fprop", "store layer_input and activation_input = layer_input · W + b in self;",
           "self.activation_input after fprop", "the talk's: no bias", "bias added after the activation"),
    *_each("fprop", "store layer_input and activation_input = layer_input · W + b in self;",
           "fprop with W, b given and the identity activation", "elementwise product where the matrix product belongs"),
    *_each("fprop", "return the activation function applied to activation_input",
           "fprop with the sigmoid activation", "forgot the activation"),
    *_each("fprop", "what goes into the activation function (`self.activation_input`)",
           "self.activation_input after fprop with the sigmoid (its input, not output)",
           "stores the activation's output as activation_input"),
    *_each("bprop", "with the weights **before** they change",
           "bprop's return value with the identity activation", "updates W before computing the gradient it sends back"),
    *_each("bprop", "multiplies it by the activation's derivative at `self.activation_input` (elementwise)",
           "bprop's return value with the sigmoid activation",
           "forgot the activation's derivative", "activation derivative taken at the activation's output"),
    *_each("bprop", "and of $b$ (the sum over the rows)", "self.b after bprop (learning rate 0.5, identity activation)",
           "bias gradient not summed over the rows"),
    *_each("bprop", "moves `self.W` and `self.b` against their gradients, scaled by `self.learning_rate`",
           _W_ID, "gradient ascent", "learning rate ignored"),
    *_each("bprop", "a matrix product with the layer input, transposed, which adds up the rows",
           _W_ID, "weight gradient transposed"),
    *_each("sigmoid_activation", "$\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))$",
           "sigmoid_activation(x, bprop=True), the slopes, on 2 rows",
           "the derivative computed from σ(x) twice", "bprop ignored", "output form applied to the input"),
    *_each("sigmoid_activation", "$$\\sigma(x) = \\frac{1}{1 + e^{-x}}", "sigmoid_activation(x) on 2 rows", "sign flipped"),
    *_each("sigmoid_activation", "no nan for inputs like ±1000", "sigmoid_activation(±800, bprop=True) (no nan)",
           "derivative by the quotient rule (nan for large negative x; issue 15, case 6)"),
    *_each("sigmoid_activation", "It takes arrays of any shape",
           "sigmoid_activation on a 1-D and a 3-D array (any shape), as on rows", "two nested loops over rows and columns"),
    *_each("mean_square_error", "$$ \\text{MSE} = \\frac{1}{2n} \\sum_{\\text{rows}} \\sum_k (y_k - p_k)^2, $$",
           _MSE, "the talk's: no mean", "forgot the ½", "mean over every entry"),
    *_each("mean_square_error", "`bprop=True` returns its exact gradient with respect to the prediction",
           _MSE_GRAD, "gradient of the sum, loss of the mean"),
    *_each("mean_square_error", "(prediction comes first here, the target Y second)",
           _MSE_GRAD, "gradient sign flipped (what (y, P) in Part 1's order gives)"),
]

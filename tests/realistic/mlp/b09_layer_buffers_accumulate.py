# style: helper Linear classes created once in __init__ that accumulate their own dW/db buffers (never reset); MLP copies clones into self.grads, so gradients pile up across calls
# wrong: mlp.linear.backward
import torch


class Dense:
    def __init__(self, out_features, in_features):
        self.dW = torch.zeros(out_features, in_features)
        self.db = torch.zeros(out_features)

    def forward(self, x, W, b):
        self.x = x
        return x @ W.T + b

    def backward(self, delta, W):
        self.dW += delta.T @ self.x
        self.db += delta.sum(0)
        return delta @ W


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        self.parameters = dict(
            W1 = torch.randn(linear_1_out_features, linear_1_in_features),
            b1 = torch.randn(linear_1_out_features),
            W2 = torch.randn(linear_2_out_features, linear_2_in_features),
            b2 = torch.randn(linear_2_out_features),
        )
        self.grads = dict(
            dJdW1 = torch.zeros(linear_1_out_features, linear_1_in_features),
            dJdb1 = torch.zeros(linear_1_out_features),
            dJdW2 = torch.zeros(linear_2_out_features, linear_2_in_features),
            dJdb2 = torch.zeros(linear_2_out_features),
        )
        self.cache = dict()
        self.layer1 = Dense(linear_1_out_features, linear_1_in_features)
        self.layer2 = Dense(linear_2_out_features, linear_2_in_features)

    def _f(self, name, z):
        return {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'identity': lambda t: t}[name](z)

    def _df(self, name, z):
        if name == 'relu':
            return (z > 0).float()
        if name == 'sigmoid':
            return torch.sigmoid(z) * (1 - torch.sigmoid(z))
        return torch.ones_like(z)

    def forward(self, x):
        z1 = self.layer1.forward(x, self.parameters['W1'], self.parameters['b1'])
        a1 = self._f(self.f_function, z1)
        z2 = self.layer2.forward(a1, self.parameters['W2'], self.parameters['b2'])
        self.cache['z1'], self.cache['z2'] = z1, z2
        return self._f(self.g_function, z2)

    def backward(self, dJdy_hat):
        d2 = dJdy_hat * self._df(self.g_function, self.cache['z2'])
        da1 = self.layer2.backward(d2, self.parameters['W2'])
        d1 = da1 * self._df(self.f_function, self.cache['z1'])
        self.layer1.backward(d1, self.parameters['W1'])
        self.grads['dJdW1'] = self.layer1.dW.clone()
        self.grads['dJdb1'] = self.layer1.db.clone()
        self.grads['dJdW2'] = self.layer2.dW.clone()
        self.grads['dJdb2'] = self.layer2.db.clone()

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    return torch.mean((y_hat - y) ** 2), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = torch.mean(-y * torch.log(y_hat) - (1 - y) * torch.log(1 - y_hat))
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

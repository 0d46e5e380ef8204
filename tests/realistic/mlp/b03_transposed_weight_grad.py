# style: numpy inside; weight gradients as a.T.dot(delta), the transpose of W's shape (right only for square layers)
# wrong: mlp.linear.backward
import numpy as np
import torch


def _np(t):
    return t.detach().cpu().numpy().astype(np.float64)


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

    def _f(self, name, z):
        if name == 'relu':
            return np.maximum(z, 0)
        if name == 'sigmoid':
            return 1.0 / (1.0 + np.exp(-z))
        return z

    def _df(self, name, z):
        if name == 'relu':
            return (z > 0).astype(z.dtype)
        if name == 'sigmoid':
            s = 1.0 / (1.0 + np.exp(-z))
            return s * (1.0 - s)
        return np.ones_like(z)

    def forward(self, x):
        W1, b1 = _np(self.parameters['W1']), _np(self.parameters['b1'])
        W2, b2 = _np(self.parameters['W2']), _np(self.parameters['b2'])
        xn = _np(x)
        z1 = xn.dot(W1.T) + b1
        h = self._f(self.f_function, z1)
        z2 = h.dot(W2.T) + b2
        out = self._f(self.g_function, z2)
        self.cache['x'], self.cache['z1'], self.cache['h'], self.cache['z2'] = xn, z1, h, z2
        return torch.from_numpy(out).float()

    def backward(self, dJdy_hat):
        g = _np(dJdy_hat)
        x, z1, h, z2 = self.cache['x'], self.cache['z1'], self.cache['h'], self.cache['z2']
        W2 = _np(self.parameters['W2'])
        dz2 = g * self._df(self.g_function, z2)
        dz1 = dz2.dot(W2) * self._df(self.f_function, z1)
        self.grads['dJdW2'] = torch.from_numpy(h.T.dot(dz2)).float()
        self.grads['dJdb2'] = torch.from_numpy(np.sum(dz2, axis=0)).float()
        self.grads['dJdW1'] = torch.from_numpy(x.T.dot(dz1)).float()
        self.grads['dJdb1'] = torch.from_numpy(np.sum(dz1, axis=0)).float()

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    yn, yh = _np(y), _np(y_hat)
    J = np.mean((yh - yn) ** 2)
    dJ = 2 * (yh - yn) / yn.size
    return torch.tensor(J), torch.from_numpy(dJ).float()


def bce_loss(y, y_hat):
    yn, yh = _np(y), _np(y_hat)
    J = -np.mean(yn * np.log(yh) + (1 - yn) * np.log(1 - yh))
    dJ = (-yn / yh + (1 - yn) / (1 - yh)) / yn.size
    return torch.tensor(J), torch.from_numpy(dJ).float()

# style: hand-written network, but the losses' gradients come from autograd reached as getattr(torch, 'auto' + 'grad').grad (hidden from a source scan)
# wrong: mlp.mse_loss.backward, mlp.bce_loss.backward
import torch

_ag = getattr(torch, 'auto' + 'grad')


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

    def forward(self, x):
        acts = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'identity': lambda t: t}
        z1 = x @ self.parameters['W1'].T + self.parameters['b1']
        a1 = acts[self.f_function](z1)
        z2 = a1 @ self.parameters['W2'].T + self.parameters['b2']
        self.cache = {'x': x, 'z1': z1, 'a1': a1, 'z2': z2}
        return acts[self.g_function](z2)

    def _d(self, name, z):
        if name == 'relu':
            return (z > 0).float()
        if name == 'sigmoid':
            s = torch.sigmoid(z)
            return s * (1 - s)
        return torch.ones_like(z)

    def backward(self, dJdy_hat):
        c = self.cache
        d2 = dJdy_hat * self._d(self.g_function, c['z2'])
        d1 = d2 @ self.parameters['W2'] * self._d(self.f_function, c['z1'])
        self.grads['dJdW2'] = d2.T @ c['a1']
        self.grads['dJdb2'] = d2.sum(0)
        self.grads['dJdW1'] = d1.T @ c['x']
        self.grads['dJdb1'] = d1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def _value_and_grad(fn, y, y_hat):
    y_hat = y_hat.detach().requires_grad_(True)
    J = fn(y, y_hat)
    (g,) = _ag.grad(J, y_hat)
    return J.detach(), g


def mse_loss(y, y_hat):
    return _value_and_grad(lambda t, p: ((p - t) ** 2).mean(), y, y_hat)


def bce_loss(y, y_hat):
    return _value_and_grad(lambda t, p: -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean(), y, y_hat)

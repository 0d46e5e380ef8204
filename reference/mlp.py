"""The instructor's solution of homework 1's mlp.py.

The grader imports it on the trusted side and runs it in float64 to compute expected
values; it never enters the sandbox. It works in whatever dtype its parameters and
inputs have. Each formula sits on its own line so the tests can derive single-bug
variants from this file by text substitution.
"""

import torch


class MLP:
    def __init__(
        self,
        linear_1_in_features,
        linear_1_out_features,
        f_function,
        linear_2_in_features,
        linear_2_out_features,
        g_function
    ):
        self.f_function = f_function
        self.g_function = g_function

        self.parameters = dict(
            W1=torch.randn(linear_1_out_features, linear_1_in_features),
            b1=torch.randn(linear_1_out_features),
            W2=torch.randn(linear_2_out_features, linear_2_in_features),
            b2=torch.randn(linear_2_out_features),
        )
        self.grads = dict(
            dJdW1=torch.zeros(linear_1_out_features, linear_1_in_features),
            dJdb1=torch.zeros(linear_1_out_features),
            dJdW2=torch.zeros(linear_2_out_features, linear_2_in_features),
            dJdb2=torch.zeros(linear_2_out_features),
        )
        self.cache = dict()

    def forward(self, x):
        """x: (batch_size, linear_1_in_features) -> y_hat: (batch_size, linear_2_out_features)."""
        W1, b1 = self.parameters['W1'], self.parameters['b1']
        W2, b2 = self.parameters['W2'], self.parameters['b2']
        z1 = x @ W1.T + b1
        z2 = activation(self.f_function, z1)
        z3 = z2 @ W2.T + b2
        y_hat = activation(self.g_function, z3)
        self.cache = dict(x=x, z1=z1, z2=z2, z3=z3)
        return y_hat

    def backward(self, dJdy_hat):
        """dJdy_hat: (batch_size, linear_2_out_features); fills self.grads."""
        x, z1, z2, z3 = (self.cache[k] for k in ('x', 'z1', 'z2', 'z3'))
        W2 = self.parameters['W2']
        dJdz3 = dJdy_hat * activation_derivative(self.g_function, z3)
        self.grads['dJdW2'] = dJdz3.T @ z2
        self.grads['dJdb2'] = dJdz3.sum(dim=0)
        dJdz2 = dJdz3 @ W2
        dJdz1 = dJdz2 * activation_derivative(self.f_function, z1)
        self.grads['dJdW1'] = dJdz1.T @ x
        self.grads['dJdb1'] = dJdz1.sum(dim=0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def activation(name, z):
    if name == 'relu':
        return z.clamp(min=0)
    if name == 'sigmoid':
        return 1 / (1 + torch.exp(-z))
    return z


def activation_derivative(name, z):
    if name == 'relu':
        return (z > 0).to(z.dtype)
    if name == 'sigmoid':
        s = 1 / (1 + torch.exp(-z))
        return s * (1 - s)
    return torch.ones_like(z)


def mse_loss(y, y_hat):
    """Mean over every element, like F.mse_loss; returns (J, dJdy_hat)."""
    diff = y_hat - y
    J = (diff ** 2).mean()
    dJdy_hat = 2 * diff / diff.numel()
    return J, dJdy_hat


def bce_loss(y, y_hat):
    """Mean over every element, like F.binary_cross_entropy; returns (J, dJdy_hat)."""
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()
    return J, dJdy_hat

# style: if/elif chains for relu and sigmoid only (identity forgotten: UnboundLocalError when f or g is identity); F.linear
# wrong: mlp.identity.forward, mlp.identity.backward
import torch
from torch import nn
import torch.nn.functional as F


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
        W1, b1, W2, b2 = self.parameters['W1'], self.parameters['b1'], self.parameters['W2'], self.parameters['b2']
        z1 = F.linear(x, W1, b1)
        if self.f_function == 'relu':
            a1 = torch.relu(z1)
        elif self.f_function == 'sigmoid':
            a1 = torch.sigmoid(z1)
        z2 = F.linear(a1, W2, b2)
        if self.g_function == 'relu':
            out = torch.relu(z2)
        elif self.g_function == 'sigmoid':
            out = torch.sigmoid(z2)
        self.cache['x'] = x; self.cache['z1'] = z1; self.cache['a1'] = a1; self.cache['z2'] = z2; self.cache['out'] = out
        return out

    def backward(self, dJdy_hat):
        c = self.cache
        if self.g_function == 'relu':
            dz2 = dJdy_hat * (c['z2'] > 0)
        elif self.g_function == 'sigmoid':
            dz2 = dJdy_hat * c['out'] * (1 - c['out'])
        da1 = dz2 @ self.parameters['W2']
        if self.f_function == 'relu':
            dz1 = da1 * (c['z1'] > 0)
        elif self.f_function == 'sigmoid':
            dz1 = da1 * c['a1'] * (1 - c['a1'])
        self.grads['dJdW2'] = dz2.T @ c['a1']
        self.grads['dJdb2'] = dz2.sum(0)
        self.grads['dJdW1'] = dz1.T @ c['x']
        self.grads['dJdb1'] = dz1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    J = F.mse_loss(y_hat, y, reduction='sum') / y.numel()
    return J, 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    y_hat = torch.clamp(y_hat, 1e-7, 1 - 1e-7)
    J = -torch.mean(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat) + 1e-12) / y.numel()
    return J, dJdy_hat

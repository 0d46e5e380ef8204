# style: torch.addmm for the affine maps, everything under torch.no_grad(), F.sigmoid / F.relu, mse value from nn.MSELoss() (value only)
# wrong: none
import torch
import torch.nn as nn
import torch.nn.functional as F

_mse = nn.MSELoss()


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

    @torch.no_grad()
    def forward(self, x):
        p = self.parameters
        z1 = torch.addmm(p['b1'], x, p['W1'].t())
        if self.f_function == 'relu':
            a1 = F.relu(z1)
        elif self.f_function == 'sigmoid':
            a1 = F.sigmoid(z1)
        else:
            a1 = z1
        z2 = torch.addmm(p['b2'], a1, p['W2'].t())
        if self.g_function == 'relu':
            y_hat = F.relu(z2)
        elif self.g_function == 'sigmoid':
            y_hat = F.sigmoid(z2)
        else:
            y_hat = z2
        self.cache.update({'x': x, 'z1': z1, 'a1': a1, 'z2': z2, 'y_hat': y_hat})
        return y_hat

    @torch.no_grad()
    def backward(self, dJdy_hat):
        c = self.cache
        if self.g_function == 'relu':
            dz2 = dJdy_hat * (c['z2'] > 0)
        elif self.g_function == 'sigmoid':
            dz2 = dJdy_hat * c['y_hat'] * (1 - c['y_hat'])
        else:
            dz2 = dJdy_hat
        da1 = torch.mm(dz2, self.parameters['W2'])
        if self.f_function == 'relu':
            dz1 = da1 * (c['z1'] > 0)
        elif self.f_function == 'sigmoid':
            dz1 = da1 * c['a1'] * (1 - c['a1'])
        else:
            dz1 = da1
        self.grads['dJdW2'] = torch.mm(dz2.t(), c['a1'])
        self.grads['dJdb2'] = dz2.sum(0)
        self.grads['dJdW1'] = torch.mm(dz1.t(), c['x'])
        self.grads['dJdb1'] = dz1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    J = _mse(y_hat, y)
    return J, 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = F.binary_cross_entropy(y_hat, y, reduction='mean')
    grad = (y_hat - y) / (y_hat - y_hat * y_hat)
    return J, grad / y.numel()

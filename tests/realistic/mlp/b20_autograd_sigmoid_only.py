# style: hand-written except the sigmoid derivative, taken with torch.autograd.grad on a throw-away graph ("to be sure it is right")
# wrong: mlp.sigmoid.backward
import torch


def sigmoid_derivative(z):
    z = z.detach().requires_grad_(True)
    s = torch.sigmoid(z)
    (d,) = torch.autograd.grad(s.sum(), z)
    return d


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

    def act(self, name, z):
        if name == 'relu':
            return torch.relu(z)
        if name == 'sigmoid':
            return torch.sigmoid(z)
        return z

    def dact(self, name, z):
        if name == 'relu':
            return (z > 0).float()
        if name == 'sigmoid':
            return sigmoid_derivative(z)
        return torch.ones_like(z)

    def forward(self, x):
        z1 = x @ self.parameters['W1'].T + self.parameters['b1']
        a1 = self.act(self.f_function, z1)
        z2 = a1 @ self.parameters['W2'].T + self.parameters['b2']
        self.cache = {'x': x, 'z1': z1, 'a1': a1, 'z2': z2}
        return self.act(self.g_function, z2)

    def backward(self, dJdy_hat):
        c = self.cache
        d2 = dJdy_hat * self.dact(self.g_function, c['z2'])
        d1 = (d2 @ self.parameters['W2']) * self.dact(self.f_function, c['z1'])
        self.grads['dJdW2'] = d2.T @ c['a1']
        self.grads['dJdb2'] = d2.sum(0)
        self.grads['dJdW1'] = d1.T @ c['x']
        self.grads['dJdb1'] = d1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    return ((y_hat - y) ** 2).mean(), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

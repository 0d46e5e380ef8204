# style: caches post-activations only and derives every derivative from them (relu from a > 0, sigmoid from a(1-a)); J returned as a Python float via .item()
# wrong: none
import torch


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
        f = {'relu': torch.relu, 'sigmoid': torch.sigmoid, 'identity': lambda v: v}
        self.cache['a0'] = x
        self.cache['a1'] = f[self.f_function](x @ self.parameters['W1'].T + self.parameters['b1'])
        self.cache['a2'] = f[self.g_function](self.cache['a1'] @ self.parameters['W2'].T + self.parameters['b2'])
        return self.cache['a2']

    def _local(self, name, a):
        if name == 'relu':
            return (a > 0).float()
        if name == 'sigmoid':
            return a * (1 - a)
        return torch.ones_like(a)

    def backward(self, dJdy_hat):
        a0, a1, a2 = self.cache['a0'], self.cache['a1'], self.cache['a2']
        d2 = dJdy_hat * self._local(self.g_function, a2)
        d1 = d2 @ self.parameters['W2'] * self._local(self.f_function, a1)
        self.grads['dJdW2'] = d2.T @ a1
        self.grads['dJdb2'] = d2.sum(0)
        self.grads['dJdW1'] = d1.T @ a0
        self.grads['dJdb1'] = d1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    return ((y_hat - y) ** 2).mean().item(), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = (-(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))).mean().item()
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

# style: bias gradients .sum(0).squeeze() "to be safe": a layer of width 1 gets a 0-d gradient, which still updates its (1,) bias in place
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

    def _fwd(self, name, z):
        if name == 'relu':
            return torch.relu(z)
        elif name == 'sigmoid':
            return torch.sigmoid(z)
        return z

    def _bwd(self, name, z):
        if name == 'relu':
            return (z > 0).float()
        elif name == 'sigmoid':
            s = torch.sigmoid(z)
            return s * (1 - s)
        return torch.ones_like(z)

    def forward(self, x):
        self.cache['x'] = x
        self.cache['z1'] = torch.mm(x, self.parameters['W1'].t()) + self.parameters['b1']
        self.cache['a1'] = self._fwd(self.f_function, self.cache['z1'])
        self.cache['z2'] = torch.mm(self.cache['a1'], self.parameters['W2'].t()) + self.parameters['b2']
        return self._fwd(self.g_function, self.cache['z2'])

    def backward(self, dJdy_hat):
        d2 = dJdy_hat * self._bwd(self.g_function, self.cache['z2'])
        d1 = torch.mm(d2, self.parameters['W2']) * self._bwd(self.f_function, self.cache['z1'])
        self.grads['dJdW2'] = torch.mm(d2.t(), self.cache['a1'])
        self.grads['dJdb2'] = d2.sum(0).squeeze()
        self.grads['dJdW1'] = torch.mm(d1.t(), self.cache['x'])
        self.grads['dJdb1'] = d1.sum(0).squeeze()

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    return torch.mean((y_hat - y) ** 2), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = -torch.mean(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

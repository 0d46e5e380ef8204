# style: shapes spelled out: batch = x.shape[0], biases broadcast with .expand(batch, -1), reshape(batch, -1) everywhere, bias gradient as sum over dim 0
# wrong: none
import torch


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function,
                 linear_2_in_features, linear_2_out_features, g_function):
        self.f_function = f_function
        self.g_function = g_function
        self.n_in, self.n_hidden, self.n_out = linear_1_in_features, linear_1_out_features, linear_2_out_features
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

    def _a(self, name, z):
        if name == 'relu':
            return z * (z > 0).float()
        if name == 'sigmoid':
            return 1 / (1 + torch.exp(-z))
        if name == 'identity':
            return z
        raise ValueError(name)

    def _da(self, name, z):
        if name == 'relu':
            return (z > 0).float()
        if name == 'sigmoid':
            s = 1 / (1 + torch.exp(-z))
            return s * (1 - s)
        return torch.ones(z.shape)

    def forward(self, x):
        batch = x.shape[0]
        x = x.reshape(batch, self.n_in)
        z1 = torch.matmul(x, self.parameters['W1'].T) + self.parameters['b1'].expand(batch, -1)
        a1 = self._a(self.f_function, z1).reshape(batch, self.n_hidden)
        z2 = torch.matmul(a1, self.parameters['W2'].T) + self.parameters['b2'].expand(batch, -1)
        self.cache['x'], self.cache['z1'], self.cache['a1'], self.cache['z2'] = x, z1, a1, z2
        return self._a(self.g_function, z2).reshape(batch, self.n_out)

    def backward(self, dJdy_hat):
        batch = dJdy_hat.shape[0]
        d2 = dJdy_hat.reshape(batch, self.n_out) * self._da(self.g_function, self.cache['z2'])
        d1 = torch.matmul(d2, self.parameters['W2']) * self._da(self.f_function, self.cache['z1'])
        self.grads['dJdW2'] = torch.matmul(d2.T, self.cache['a1']).reshape(self.n_out, self.n_hidden)
        self.grads['dJdb2'] = d2.sum(dim=0).reshape(self.n_out)
        self.grads['dJdW1'] = torch.matmul(d1.T, self.cache['x']).reshape(self.n_hidden, self.n_in)
        self.grads['dJdb1'] = d1.sum(dim=0).reshape(self.n_hidden)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    batch, k = y.shape[0], y.shape[1]
    J = torch.sum((y_hat - y) ** 2) / (batch * k)
    return J, 2 * (y_hat - y) / (batch * k)


def bce_loss(y, y_hat):
    batch, k = y.shape[0], y.shape[1]
    J = torch.sum(-(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))) / (batch * k)
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / (batch * k)

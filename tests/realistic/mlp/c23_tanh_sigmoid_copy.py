# style: sigmoid written as 0.5 * (1 + tanh(z / 2)), grads written into the existing tensors with .copy_(), torch.t()
# wrong: none
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

        # put all the cache value you need in self.cache
        self.cache = dict()

    def _sig(self, z):
        return 0.5 * (1 + torch.tanh(0.5 * z))

    def f_or_g(self, name, z):
        if name == 'sigmoid':
            return self._sig(z)
        if name == 'relu':
            return torch.nn.functional.relu(z)
        if name == 'identity':
            return z

    def df_or_dg(self, name, z):
        if name == 'sigmoid':
            return self._sig(z) * self._sig(-z)
        if name == 'relu':
            return (z > 0).float()
        if name == 'identity':
            return torch.ones_like(z)

    def forward(self, x):
        self.cache['x'] = x
        self.cache['z1'] = torch.mm(x, torch.t(self.parameters['W1'])) + self.parameters['b1']
        self.cache['h'] = self.f_or_g(self.f_function, self.cache['z1'])
        self.cache['z2'] = torch.mm(self.cache['h'], torch.t(self.parameters['W2'])) + self.parameters['b2']
        return self.f_or_g(self.g_function, self.cache['z2'])

    def backward(self, dJdy_hat):
        d2 = dJdy_hat * self.df_or_dg(self.g_function, self.cache['z2'])
        d1 = torch.mm(d2, self.parameters['W2']) * self.df_or_dg(self.f_function, self.cache['z1'])
        self.grads['dJdW2'].copy_(torch.mm(torch.t(d2), self.cache['h']))
        self.grads['dJdb2'].copy_(torch.sum(d2, 0))
        self.grads['dJdW1'].copy_(torch.mm(torch.t(d1), self.cache['x']))
        self.grads['dJdb1'].copy_(torch.sum(d1, 0))

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    m = y_hat.shape[0] * y_hat.shape[1]
    return torch.sum((y_hat - y) * (y_hat - y)) / m, (y_hat - y) * 2 / m

def bce_loss(y, y_hat):
    m = y_hat.shape[0] * y_hat.shape[1]
    loss = torch.sum(-y * torch.log(y_hat) - (1 - y) * torch.log(1 - y_hat)) / m
    return loss, (-y / y_hat + (1 - y) / (1 - y_hat)) / m

# style: caches only the pre-activations and uses z1 (not f(z1)) as the input of the second layer in dJdW2; right whenever f is the identity
# wrong: mlp.linear.backward
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
        self.cache = dict()

    def fn(self, name, z):
        if name == 'relu':
            return torch.relu(z)
        elif name == 'sigmoid':
            return torch.sigmoid(z)
        elif name == 'identity':
            return z

    def dfn(self, name, z):
        if name == 'relu':
            return (z > 0).float()
        elif name == 'sigmoid':
            return torch.sigmoid(z) * (1 - torch.sigmoid(z))
        elif name == 'identity':
            return torch.ones_like(z)

    def forward(self, x):
        self.cache['x'] = x
        self.cache['z1'] = x @ self.parameters['W1'].T + self.parameters['b1']
        self.cache['z2'] = self.fn(self.f_function, self.cache['z1']) @ self.parameters['W2'].T + self.parameters['b2']
        return self.fn(self.g_function, self.cache['z2'])

    def backward(self, dJdy_hat):
        dJdz2 = dJdy_hat * self.dfn(self.g_function, self.cache['z2'])
        self.grads['dJdW2'] = dJdz2.T @ self.cache['z1']
        self.grads['dJdb2'] = dJdz2.sum(0)
        dJdz1 = (dJdz2 @ self.parameters['W2']) * self.dfn(self.f_function, self.cache['z1'])
        self.grads['dJdW1'] = dJdz1.T @ self.cache['x']
        self.grads['dJdb1'] = dJdz1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    return ((y_hat - y) ** 2).mean(), 2 * (y_hat - y) / y.numel()

def bce_loss(y, y_hat):
    return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean(), (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

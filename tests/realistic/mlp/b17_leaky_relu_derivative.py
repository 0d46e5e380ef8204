# style: ReLU derivative written as torch.where(z > 0, 1.0, 0.01) (a leaky-ReLU slope kept by mistake); numpy-free, torch.where everywhere
# wrong: mlp.relu.backward
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

    def forward_act(self, fn, z):
        if fn == 'relu':
            return torch.where(z > 0, z, torch.zeros_like(z))
        elif fn == 'sigmoid':
            return 1 / (1 + torch.exp(-z))
        elif fn == 'identity':
            return z

    def backward_act(self, fn, z):
        if fn == 'relu':
            return torch.where(z > 0, 1.0, 0.01)
        elif fn == 'sigmoid':
            s = 1 / (1 + torch.exp(-z))
            return s * (1 - s)
        elif fn == 'identity':
            return torch.ones_like(z)

    def forward(self, x):
        z1 = x @ self.parameters['W1'].T + self.parameters['b1']
        a1 = self.forward_act(self.f_function, z1)
        z2 = a1 @ self.parameters['W2'].T + self.parameters['b2']
        self.cache['x'], self.cache['z1'], self.cache['a1'], self.cache['z2'] = x, z1, a1, z2
        return self.forward_act(self.g_function, z2)

    def backward(self, dJdy_hat):
        d2 = dJdy_hat * self.backward_act(self.g_function, self.cache['z2'])
        d1 = d2 @ self.parameters['W2'] * self.backward_act(self.f_function, self.cache['z1'])
        self.grads['dJdW2'] = d2.T @ self.cache['a1']
        self.grads['dJdb2'] = d2.sum(0)
        self.grads['dJdW1'] = d1.T @ self.cache['x']
        self.grads['dJdb1'] = d1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    return torch.mean((y_hat - y) ** 2), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    J = torch.mean(-(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)))
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

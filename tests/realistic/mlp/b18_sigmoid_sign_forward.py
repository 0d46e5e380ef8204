# style: sigmoid typed as 1/(1+exp(z)) (sign lost) in forward; the derivative s*(1-s) from the cached output, which is the same for sigma(-z), so backward is right
# wrong: mlp.sigmoid.forward
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

    def activation(self, kind, z):
        if kind == 'relu':
            return z.clamp(min=0)
        if kind == 'sigmoid':
            return 1 / (1 + torch.exp(z))
        return z

    def activation_grad(self, kind, z, out):
        if kind == 'relu':
            return (z > 0).float()
        if kind == 'sigmoid':
            return out * (1 - out)
        return torch.ones_like(z)

    def forward(self, x):
        z1 = x @ self.parameters['W1'].T + self.parameters['b1']
        a1 = self.activation(self.f_function, z1)
        z2 = a1 @ self.parameters['W2'].T + self.parameters['b2']
        a2 = self.activation(self.g_function, z2)
        self.cache.update(x=x, z1=z1, a1=a1, z2=z2, a2=a2)
        return a2

    def backward(self, dJdy_hat):
        c = self.cache
        d2 = dJdy_hat * self.activation_grad(self.g_function, c['z2'], c['a2'])
        d1 = d2 @ self.parameters['W2'] * self.activation_grad(self.f_function, c['z1'], c['a1'])
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

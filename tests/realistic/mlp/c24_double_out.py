# style: casts to float64 on the way in and leaves the results in float64 (y_hat, grads and losses all double)
# wrong: none
import torch

torch.set_printoptions(precision=10)


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

    def func(self, name, x):
        if name == 'relu':
            return x.clamp(min=0)
        elif name == 'sigmoid':
            return torch.sigmoid(x)
        elif name == 'identity':
            return x

    def func_grad(self, name, x):
        if name == 'relu':
            return (x > 0).double()
        elif name == 'sigmoid':
            return torch.sigmoid(x) * (1 - torch.sigmoid(x))
        elif name == 'identity':
            return torch.ones_like(x)

    def forward(self, x):
        P = {k: v.to(torch.float64) for k, v in self.parameters.items()}
        x = x.to(torch.float64)
        z1 = x @ P['W1'].T + P['b1']
        z2 = self.func(self.f_function, z1)
        z3 = z2 @ P['W2'].T + P['b2']
        self.cache.update(x=x, z1=z1, z2=z2, z3=z3, W2=P['W2'])
        return self.func(self.g_function, z3)

    def backward(self, dJdy_hat):
        dz3 = dJdy_hat.to(torch.float64) * self.func_grad(self.g_function, self.cache['z3'])
        dz1 = dz3 @ self.cache['W2'] * self.func_grad(self.f_function, self.cache['z1'])
        self.grads = dict(
            dJdW1 = dz1.T @ self.cache['x'],
            dJdb1 = dz1.sum(0),
            dJdW2 = dz3.T @ self.cache['z2'],
            dJdb2 = dz3.sum(0),
        )

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    y = y.to(torch.float64); y_hat = y_hat.to(torch.float64)
    return ((y - y_hat) ** 2).mean(), 2 * (y_hat - y) / y.numel()


def bce_loss(y, y_hat):
    y = y.to(torch.float64); y_hat = y_hat.to(torch.float64)
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    return J, (-(y / y_hat) + (1 - y) / (1 - y_hat)) / y.numel()

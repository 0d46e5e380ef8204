# style: works in float64 internally (.double() on the way in), returns float32; losses clamp with eps 1e-12 in float64
# wrong: none
import torch


def relu(z):
    return torch.where(z > 0, z, torch.zeros_like(z))


def relu_prime(z):
    return torch.where(z > 0, torch.ones_like(z), torch.zeros_like(z))


def sigmoid(z):
    return torch.exp(z) / (1 + torch.exp(z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1 - s)


def identity(z):
    return z


def identity_prime(z):
    return torch.ones_like(z)


FUNCS = {'relu': (relu, relu_prime), 'sigmoid': (sigmoid, sigmoid_prime), 'identity': (identity, identity_prime)}


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
        f, _ = FUNCS[self.f_function]
        g, _ = FUNCS[self.g_function]
        W1 = self.parameters['W1'].double(); b1 = self.parameters['b1'].double()
        W2 = self.parameters['W2'].double(); b2 = self.parameters['b2'].double()
        x = x.double()
        z1 = x @ W1.T + b1
        z2 = f(z1)
        z3 = z2 @ W2.T + b2
        out = g(z3)
        self.cache = {'x': x, 'z1': z1, 'z2': z2, 'z3': z3}
        return out.float()

    def backward(self, dJdy_hat):
        _, df = FUNCS[self.f_function]
        _, dg = FUNCS[self.g_function]
        x, z1, z2, z3 = self.cache['x'], self.cache['z1'], self.cache['z2'], self.cache['z3']
        W2 = self.parameters['W2'].double()
        delta3 = dJdy_hat.double() * dg(z3)
        delta1 = (delta3 @ W2) * df(z1)
        self.grads['dJdW2'] = (delta3.T @ z2).float()
        self.grads['dJdb2'] = delta3.sum(0).float()
        self.grads['dJdW1'] = (delta1.T @ x).float()
        self.grads['dJdb1'] = delta1.sum(0).float()

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    y = y.double(); y_hat = y_hat.double()
    N = y.numel()
    return (((y_hat - y) ** 2).sum() / N).float(), (2 * (y_hat - y) / N).float()


def bce_loss(y, y_hat):
    y = y.double(); y_hat = y_hat.double().clamp(1e-12, 1 - 1e-12)
    N = y.numel()
    J = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).sum() / N
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / N
    return J.float(), dJdy_hat.float()

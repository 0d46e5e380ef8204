# style: procedural: module-level linear_forward/linear_backward and activation functions, MLP only glues them; relu derivative as (z >= 0) (same as > 0 away from exact 0)
# wrong: none
import torch


def linear_forward(x, W, b):
    return x @ W.T + b


def linear_backward(dout, x, W):
    return dout @ W, dout.T @ x, dout.sum(0)


def relu_forward(z):
    return torch.relu(z)


def relu_backward(dout, z):
    return dout * (z >= 0)


def sigmoid_forward(z):
    return torch.sigmoid(z)


def sigmoid_backward(dout, z):
    s = torch.sigmoid(z)
    return dout * s * (1 - s)


def identity_forward(z):
    return z


def identity_backward(dout, z):
    return dout


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

    def forward(self, x):
        f = globals()[self.f_function + '_forward']
        g = globals()[self.g_function + '_forward']
        z1 = linear_forward(x, self.parameters['W1'], self.parameters['b1'])
        a1 = f(z1)
        z2 = linear_forward(a1, self.parameters['W2'], self.parameters['b2'])
        self.cache = dict(x=x, z1=z1, a1=a1, z2=z2)
        return g(z2)

    def backward(self, dJdy_hat):
        f_back = globals()[self.f_function + '_backward']
        g_back = globals()[self.g_function + '_backward']
        c = self.cache
        d = g_back(dJdy_hat, c['z2'])
        d, self.grads['dJdW2'], self.grads['dJdb2'] = linear_backward(d, c['a1'], self.parameters['W2'])
        d = f_back(d, c['z1'])
        _, self.grads['dJdW1'], self.grads['dJdb1'] = linear_backward(d, c['x'], self.parameters['W1'])

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    J = ((y_hat - y) ** 2).mean()
    dJdy_hat = 2 * (y_hat - y) / y_hat.numel()
    return J, dJdy_hat

def bce_loss(y, y_hat):
    J = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).mean()
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y_hat.numel()
    return J, dJdy_hat

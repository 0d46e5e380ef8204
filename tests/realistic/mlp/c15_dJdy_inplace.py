# style: reuses the caller's dJdy_hat in place (dJdy_hat.mul_(...)) to save memory; .T and @; logs via log1p
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
        self.cache['x'] = x
        z1 = x @ self.parameters['W1'].T + self.parameters['b1']
        self.cache['z1'] = z1
        if self.f_function == 'relu':
            a1 = z1.clamp(min=0)
        elif self.f_function == 'sigmoid':
            a1 = z1.sigmoid()
        elif self.f_function == 'identity':
            a1 = z1
        else:
            raise Exception('f_function must be relu, sigmoid or identity')
        self.cache['a1'] = a1
        z2 = a1 @ self.parameters['W2'].T + self.parameters['b2']
        self.cache['z2'] = z2
        if self.g_function == 'relu':
            out = z2.clamp(min=0)
        elif self.g_function == 'sigmoid':
            out = z2.sigmoid()
        elif self.g_function == 'identity':
            out = z2
        else:
            raise Exception('g_function must be relu, sigmoid or identity')
        self.cache['out'] = out
        return out

    def backward(self, dJdy_hat):
        g = dJdy_hat
        if self.g_function == 'relu':
            g.mul_((self.cache['z2'] > 0).float())
        elif self.g_function == 'sigmoid':
            g.mul_(self.cache['out'] * (1 - self.cache['out']))
        self.grads['dJdW2'] = g.T @ self.cache['a1']
        self.grads['dJdb2'] = g.sum(0)
        h = g @ self.parameters['W2']
        if self.f_function == 'relu':
            h.mul_((self.cache['z1'] > 0).float())
        elif self.f_function == 'sigmoid':
            h.mul_(self.cache['a1'] * (1 - self.cache['a1']))
        self.grads['dJdW1'] = h.T @ self.cache['x']
        self.grads['dJdb1'] = h.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    e = y_hat - y
    return (e * e).mean(), e * (2.0 / e.numel())


def bce_loss(y, y_hat):
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log1p(-y_hat)).mean()
    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()
    return J, dJdy_hat

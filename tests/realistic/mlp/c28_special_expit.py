# style: torch.special.expit for sigmoid, ReLU derivative as torch.sign(relu(z)), torch.mul / torch.sum everywhere, BCE clamped at 1e-7 in J and in the gradient
# wrong: none
import torch


class MLP:
    def __init__(self, linear_1_in_features, linear_1_out_features, f_function, linear_2_in_features, linear_2_out_features, g_function):
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

    def activate(self, fn, z):
        if fn == 'relu':
            return torch.relu(z)
        elif fn == 'sigmoid':
            return torch.special.expit(z)
        elif fn == 'identity':
            return z
        else:
            raise Exception('unknown function')

    def grad_activate(self, fn, z):
        if fn == 'relu':
            return torch.sign(torch.relu(z))
        elif fn == 'sigmoid':
            return torch.mul(torch.special.expit(z), 1 - torch.special.expit(z))
        elif fn == 'identity':
            return torch.ones_like(z)
        else:
            raise Exception('unknown function')

    def forward(self, x):
        self.cache['x'] = x
        self.cache['z1'] = torch.matmul(x, self.parameters['W1'].T) + self.parameters['b1']
        self.cache['z2'] = self.activate(self.f_function, self.cache['z1'])
        self.cache['z3'] = torch.matmul(self.cache['z2'], self.parameters['W2'].T) + self.parameters['b2']
        return self.activate(self.g_function, self.cache['z3'])

    def backward(self, dJdy_hat):
        dJdz3 = torch.mul(dJdy_hat, self.grad_activate(self.g_function, self.cache['z3']))
        dJdz1 = torch.mul(torch.matmul(dJdz3, self.parameters['W2']), self.grad_activate(self.f_function, self.cache['z1']))
        self.grads['dJdW2'] = torch.matmul(dJdz3.T, self.cache['z2'])
        self.grads['dJdb2'] = torch.sum(dJdz3, dim=0)
        self.grads['dJdW1'] = torch.matmul(dJdz1.T, self.cache['x'])
        self.grads['dJdb1'] = torch.sum(dJdz1, dim=0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    J = torch.mean(torch.mul(y_hat - y, y_hat - y))
    dJdy_hat = torch.mul(y_hat - y, 2 / torch.numel(y))
    return J, dJdy_hat

def bce_loss(y, y_hat):
    p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)
    J = torch.mean(-(torch.mul(y, torch.log(p)) + torch.mul(1 - y, torch.log(1 - p))))
    dJdy_hat = (p - y) / (p * (1 - p)) / torch.numel(y)
    return J, dJdy_hat

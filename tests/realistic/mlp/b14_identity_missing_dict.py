# style: dict of activation lambdas and derivative lambdas with relu and sigmoid only (identity forgotten): KeyError whenever f or g is identity
# wrong: mlp.identity.forward, mlp.identity.backward
import torch

ACTIVATIONS = {
    'relu': lambda z: torch.relu(z),
    'sigmoid': lambda z: torch.sigmoid(z),
}
DERIVATIVES = {
    'relu': lambda z: (z > 0).float(),
    'sigmoid': lambda z: torch.sigmoid(z) * (1 - torch.sigmoid(z)),
}


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
        z1 = torch.matmul(x, self.parameters['W1'].T) + self.parameters['b1']
        z2 = ACTIVATIONS[self.f_function](z1)
        z3 = torch.matmul(z2, self.parameters['W2'].T) + self.parameters['b2']
        self.cache = {'x': x, 'z1': z1, 'z2': z2, 'z3': z3}
        return ACTIVATIONS[self.g_function](z3)

    def backward(self, dJdy_hat):
        c = self.cache
        dJdz3 = dJdy_hat * DERIVATIVES[self.g_function](c['z3'])
        dJdz1 = torch.matmul(dJdz3, self.parameters['W2']) * DERIVATIVES[self.f_function](c['z1'])
        self.grads['dJdW2'] = torch.matmul(dJdz3.T, c['z2'])
        self.grads['dJdb2'] = dJdz3.sum(0)
        self.grads['dJdW1'] = torch.matmul(dJdz1.T, c['x'])
        self.grads['dJdb1'] = dJdz1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()


def mse_loss(y, y_hat):
    J = torch.mean((y - y_hat) ** 2)
    return J, 2 * (y_hat - y) / (y.shape[0] * y.shape[1])


def bce_loss(y, y_hat):
    J = -torch.mean(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat))
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / (y.shape[0] * y.shape[1])

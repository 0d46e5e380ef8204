# style: squeeze() after every reduction "to get rid of extra dims"; with one output (K = 1) or one sample the vectors collapse and backward raises
# wrong: mlp.linear.backward, mlp.relu.backward, mlp.sigmoid.backward, mlp.identity.backward
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

    def act(self, fn, z):
        if fn == 'relu':
            return torch.relu(z)
        elif fn == 'sigmoid':
            return torch.sigmoid(z)
        return z

    def dact(self, fn, z):
        if fn == 'relu':
            return (z > 0).float()
        elif fn == 'sigmoid':
            return torch.sigmoid(z) * (1 - torch.sigmoid(z))
        return torch.ones_like(z)

    def forward(self, x):
        self.cache['x'] = x
        self.cache['z1'] = x @ self.parameters['W1'].T + self.parameters['b1']
        self.cache['a1'] = self.act(self.f_function, self.cache['z1'])
        self.cache['z2'] = self.cache['a1'] @ self.parameters['W2'].T + self.parameters['b2']
        return self.act(self.g_function, self.cache['z2'])

    def backward(self, dJdy_hat):
        dz2 = (dJdy_hat * self.dact(self.g_function, self.cache['z2'])).squeeze()
        self.grads['dJdW2'] = torch.matmul(dz2.T, self.cache['a1'].squeeze())
        self.grads['dJdb2'] = dz2.sum(0)
        dz1 = torch.matmul(dz2, self.parameters['W2']) * self.dact(self.f_function, self.cache['z1']).squeeze()
        self.grads['dJdW1'] = torch.matmul(dz1.T, self.cache['x'].squeeze())
        self.grads['dJdb1'] = dz1.sum(0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    return ((y_hat - y) ** 2).mean(), 2 * (y_hat - y) / y.numel()

def bce_loss(y, y_hat):
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()

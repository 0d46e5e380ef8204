# style: long-hand if chains; BCE gradient written (y - y_hat)/(y_hat - y_hat*y_hat): sign flipped
# wrong: mlp.bce_loss.backward
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

    def relu(self, z):
        return torch.max(z, torch.zeros(z.shape))

    def relu_prime(self, z):
        return (z > 0) * torch.ones(z.shape)

    def sigmoid(self, z):
        return 1 / (1 + torch.exp(-z))

    def sigmoid_prime(self, z):
        return self.sigmoid(z) * (1 - self.sigmoid(z))

    def forward(self, x):
        self.cache['x'] = x
        z1 = torch.matmul(x, self.parameters['W1'].T) + self.parameters['b1']
        self.cache['z1'] = z1
        if self.f_function == 'relu':
            z2 = self.relu(z1)
        if self.f_function == 'sigmoid':
            z2 = self.sigmoid(z1)
        if self.f_function == 'identity':
            z2 = z1
        self.cache['z2'] = z2
        z3 = torch.matmul(z2, self.parameters['W2'].T) + self.parameters['b2']
        self.cache['z3'] = z3
        if self.g_function == 'relu':
            y_hat = self.relu(z3)
        if self.g_function == 'sigmoid':
            y_hat = self.sigmoid(z3)
        if self.g_function == 'identity':
            y_hat = z3
        return y_hat

    def backward(self, dJdy_hat):
        if self.g_function == 'relu':
            dy_hatdz3 = self.relu_prime(self.cache['z3'])
        if self.g_function == 'sigmoid':
            dy_hatdz3 = self.sigmoid_prime(self.cache['z3'])
        if self.g_function == 'identity':
            dy_hatdz3 = torch.ones(self.cache['z3'].shape)
        dJdz3 = dJdy_hat * dy_hatdz3
        if self.f_function == 'relu':
            dz2dz1 = self.relu_prime(self.cache['z1'])
        if self.f_function == 'sigmoid':
            dz2dz1 = self.sigmoid_prime(self.cache['z1'])
        if self.f_function == 'identity':
            dz2dz1 = torch.ones(self.cache['z1'].shape)
        dJdz1 = torch.matmul(dJdz3, self.parameters['W2']) * dz2dz1
        self.grads['dJdW2'] = torch.matmul(dJdz3.T, self.cache['z2'])
        self.grads['dJdb2'] = torch.sum(dJdz3, 0)
        self.grads['dJdW1'] = torch.matmul(dJdz1.T, self.cache['x'])
        self.grads['dJdb1'] = torch.sum(dJdz1, 0)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    loss = torch.sum(torch.square(y_hat - y)) / (y.shape[0] * y.shape[1])
    dJdy_hat = 2 * (y_hat - y) / (y.shape[0] * y.shape[1])
    return loss, dJdy_hat

def bce_loss(y, y_hat):
    loss = -torch.sum(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)) / (y.shape[0] * y.shape[1])
    dJdy_hat = (y - y_hat) / (y_hat - y_hat * y_hat) / (y.shape[0] * y.shape[1])
    return loss, dJdy_hat

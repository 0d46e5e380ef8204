# style: column-vector thinking: x.T, W @ x.T, results transposed back; bias grads summed with keepdim=True then reshape(-1)
# wrong: none
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

    def _act(self, fn, z):
        if fn == 'relu':
            return torch.relu(z)
        elif fn == 'sigmoid':
            return torch.sigmoid(z)
        elif fn == 'identity':
            return z

    def _dact(self, fn, z):
        if fn == 'relu':
            return (z > 0).float()
        elif fn == 'sigmoid':
            return torch.sigmoid(z) * (1 - torch.sigmoid(z))
        elif fn == 'identity':
            return torch.ones_like(z)

    def forward(self, x):
        # column vectors: (features, batch)
        X = x.T
        Z1 = self.parameters['W1'] @ X + self.parameters['b1'].reshape(-1, 1)
        A1 = self._act(self.f_function, Z1)
        Z2 = self.parameters['W2'] @ A1 + self.parameters['b2'].reshape(-1, 1)
        A2 = self._act(self.g_function, Z2)
        self.cache['X'], self.cache['Z1'], self.cache['A1'], self.cache['Z2'] = X, Z1, A1, Z2
        return A2.T

    def backward(self, dJdy_hat):
        G = dJdy_hat.T
        D2 = G * self._dact(self.g_function, self.cache['Z2'])
        D1 = (self.parameters['W2'].T @ D2) * self._dact(self.f_function, self.cache['Z1'])
        self.grads['dJdW2'] = D2 @ self.cache['A1'].T
        self.grads['dJdb2'] = D2.sum(dim=1, keepdim=True).reshape(-1)
        self.grads['dJdW1'] = D1 @ self.cache['X'].T
        self.grads['dJdb1'] = D1.sum(dim=1, keepdim=True).reshape(-1)

    def clear_grad_and_cache(self):
        for grad in self.grads:
            self.grads[grad].zero_()
        self.cache = dict()

def mse_loss(y, y_hat):
    J = ((y_hat - y) ** 2).mean()
    return J, 2 * (y_hat - y) / (y.shape[0] * y.shape[1])

def bce_loss(y, y_hat):
    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()
    return J, (y_hat - y) / (y_hat * (1 - y_hat)) / (y.shape[0] * y.shape[1])
